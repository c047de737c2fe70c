package ecs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ecrImage matches an Amazon ECR image reference:
// ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]/REPO[:TAG][@sha256:DIGEST].
var ecrImage = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/-]*?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`)

// ECRRef is a parsed ECR image reference.
type ECRRef struct {
	Registry, Region, Repository, Tag, Digest string
	// Host is everything before the repository: ACCOUNT.dkr.ecr.REGION.amazonaws.com.
	Host string
}

// ParseECR parses an ECR image reference; ok is false for any other registry.
func ParseECR(image string) (ECRRef, bool) {
	m := ecrImage.FindStringSubmatch(image)
	if m == nil {
		return ECRRef{}, false
	}
	host, _, _ := strings.Cut(image, "/")
	return ECRRef{Registry: m[1], Region: m[2], Repository: m[3], Tag: m[4], Digest: m[5], Host: host}, true
}

// Pinned is an image reference pinned to its digest.
func (r ECRRef) Pinned(digest string) string {
	return r.Host + "/" + r.Repository + "@" + digest
}

// pinned records one tag resolved to a digest, for the deploy's output.
type pinned struct {
	container, from, to, digest string
}

// pinImages resolves the ECR tags of the task definition's containers to their digests and
// pins them (docs/architecture.md, "Safety"), so a moving tag never changes what runs. Images outside ECR and
// images already pinned are left as they are.
func (s *Session) pinImages(ctx context.Context, containers []types.ContainerDefinition) ([]pinned, error) {
	var out []pinned
	cache := map[string]string{}
	for i := range containers {
		c := &containers[i]
		image := aws.ToString(c.Image)
		ref, ok := ParseECR(image)
		if !ok || ref.Digest != "" {
			continue
		}
		tag := ref.Tag
		if tag == "" {
			tag = "latest"
		}
		digest, ok := cache[image]
		if !ok {
			var err error
			digest, err = s.resolveDigest(ctx, ref, tag)
			if err != nil {
				return nil, err
			}
			cache[image] = digest
		}
		c.Image = aws.String(ref.Pinned(digest))
		out = append(out, pinned{container: aws.ToString(c.Name), from: image, to: aws.ToString(c.Image), digest: digest})
	}
	return out, nil
}

func (s *Session) resolveDigest(ctx context.Context, ref ECRRef, tag string) (string, error) {
	if s.ecrFor == nil {
		return "", errors.New("ecr: no client")
	}
	out, err := s.ecrFor(ref.Region).DescribeImages(ctx, &ecr.DescribeImagesInput{
		RegistryId:     aws.String(ref.Registry),
		RepositoryName: aws.String(ref.Repository),
		ImageIds:       []ecrtypes.ImageIdentifier{{ImageTag: aws.String(tag)}},
	})
	resource := fmt.Sprintf("%s/%s:%s", ref.Host, ref.Repository, tag)
	if err != nil {
		var nf *ecrtypes.ImageNotFoundException
		var rnf *ecrtypes.RepositoryNotFoundException
		switch {
		case errors.As(err, &nf):
			return "", fmt.Errorf("ecr: image %s not found (push it first, or fix the tag): %w", resource, err)
		case errors.As(err, &rnf):
			return "", fmt.Errorf("ecr: repository %s not found in registry %s (%s): %w", ref.Repository, ref.Registry, ref.Region, err)
		}
		return "", apiError("ecr DescribeImages", resource, err)
	}
	for _, d := range out.ImageDetails {
		if dg := aws.ToString(d.ImageDigest); dg != "" {
			return dg, nil
		}
	}
	return "", fmt.Errorf("ecr: image %s not found (DescribeImages returned no digest)", resource)
}
