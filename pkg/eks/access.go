package eks

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shipit-dev/shipit/pkg/spec"
	"github.com/shipit-dev/shipit/pkg/target"
)

// clusterDescriber is the one EKS API call shipit needs.
type clusterDescriber interface {
	DescribeCluster(ctx context.Context, in *awseks.DescribeClusterInput, optFns ...func(*awseks.Options)) (*awseks.DescribeClusterOutput, error)
}

// restConfig finds the cluster: the kubeconfig with the usual rules (--kubeconfig, KUBECONFIG,
// ~/.kube/config; --context, else eks.context, else the current context), or, when the spec
// names eks.cluster and no kubeconfig flag is given, EKS's DescribeCluster plus an IAM token.
func restConfig(ctx context.Context, app *spec.App, opts target.ConnectOptions) (*rest.Config, string, error) {
	if app.EKS.Cluster != "" && opts.Kubeconfig == "" && opts.Context == "" {
		awsCfg, err := target.LoadAWSConfig(ctx, opts, "", "eks: no AWS region for eks.cluster: pass --region or set AWS_REGION")
		if err != nil {
			return nil, "", err
		}
		cfg, err := eksRestConfig(ctx, awseks.NewFromConfig(awsCfg), awsCfg, app.EKS.Cluster)
		return cfg, "EKS cluster " + app.EKS.Cluster, err
	}
	cc, where := kubeconfig(app.EKS.Context, opts)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w (set --kubeconfig, KUBECONFIG or eks.cluster)", err)
	}
	return cfg, where, nil
}

// kubeconfig is the kubeconfig with the usual loading rules: --kubeconfig, else KUBECONFIG,
// else ~/.kube/config; the context --context, else specContext, else the current one. where
// names the context for messages.
func kubeconfig(specContext string, opts target.ConnectOptions) (cc clientcmd.ClientConfig, where string) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		rules.ExplicitPath = opts.Kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.Context}
	if overrides.CurrentContext == "" {
		overrides.CurrentContext = specContext
	}
	cc = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	where = "context " + overrides.CurrentContext
	if raw, err := cc.RawConfig(); err == nil && overrides.CurrentContext == "" {
		where = "context " + raw.CurrentContext
	}
	return cc, where
}

// eksRestConfig turns DescribeCluster's endpoint and CA into a client config that sends a
// fresh IAM token with every request.
func eksRestConfig(ctx context.Context, api clusterDescriber, awsCfg aws.Config, cluster string) (*rest.Config, error) {
	out, err := api.DescribeCluster(ctx, &awseks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, fmt.Errorf("eks DescribeCluster %s: %w", cluster, err)
	}
	c := out.Cluster
	if c == nil || c.Endpoint == nil || c.CertificateAuthority == nil || c.CertificateAuthority.Data == nil {
		return nil, fmt.Errorf("eks DescribeCluster %s: the cluster has no endpoint or CA yet (is it still creating?)", cluster)
	}
	ca, err := base64.StdEncoding.DecodeString(*c.CertificateAuthority.Data)
	if err != nil {
		return nil, fmt.Errorf("eks DescribeCluster %s: certificate authority is not base64: %w", cluster, err)
	}
	src := newTokenSource(awsCfg, cluster)
	cfg := &rest.Config{
		Host:            *c.Endpoint,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper {
			return &bearerTransport{src: src, next: rt}
		},
	}
	return cfg, nil
}
