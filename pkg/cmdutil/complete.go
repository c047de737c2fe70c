package cmdutil

import (
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shipit-dev/shipit/pkg/spec"
)

// Value completion for the flags every shell user types most (cobra's __complete, behind the
// scripts of `shipit completion`). Each function offers the values that start with what is
// typed, never file names.

// CompleteOutput offers -o's formats.
func CompleteOutput(_ *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, f := range [][2]string{
		{"text", "for people"},
		{"json", "for machines: one JSON result (deploy and rollback: JSON Lines, then the verdict)"},
	} {
		if strings.HasPrefix(f[0], typed) {
			out = append(out, cobra.CompletionWithDesc(f[0], f[1]))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// CompleteTargets offers the --target names of the registry.
func CompleteTargets(ts Targets) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return prefixed(slices.Sorted(maps.Keys(ts)), typed), cobra.ShellCompDirectiveNoFileComp
	}
}

// CompleteEnv offers the environments of the spec -f names (as parsed so far on the command
// line); none when it cannot be read or parsed, or is stdin.
func (g *GlobalOptions) CompleteEnv(_ *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if g.File == "-" {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	data, err := spec.Read(g.File, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	doc, err := spec.ParseDocument(g.File, data)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return prefixed(doc.Environments(), typed), cobra.ShellCompDirectiveNoFileComp
}

// CompleteContext offers the contexts of the kubeconfig, found as every Kubernetes client finds
// it (--kubeconfig, else KUBECONFIG, else ~/.kube/config), each with its cluster.
func (g *GlobalOptions) CompleteContext(_ *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = g.Kubeconfig
	cfg, err := rules.Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, name := range slices.Sorted(maps.Keys(cfg.Contexts)) {
		if strings.HasPrefix(name, typed) {
			out = append(out, cobra.CompletionWithDesc(name, "cluster "+cfg.Contexts[name].Cluster))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// prefixed keeps the values that start with typed.
func prefixed(values []string, typed string) []cobra.Completion {
	var out []cobra.Completion
	for _, v := range values {
		if strings.HasPrefix(v, typed) {
			out = append(out, v)
		}
	}
	return out
}
