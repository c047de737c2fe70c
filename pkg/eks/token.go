package eks

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// EKS authenticates IAM identities with a bearer token: a presigned STS GetCallerIdentity URL
// that names the cluster in the signed x-k8s-aws-id header, base64url-encoded behind
// "k8s-aws-v1.". The cluster's authenticator replays it to STS to learn who is calling. This is
// what `aws eks get-token` prints; shipit makes it itself so CI needs no aws CLI.
const (
	tokenPrefix   = "k8s-aws-v1."
	clusterHeader = "x-k8s-aws-id"
	// EKS accepts a token for 15 minutes after signing; shipit renews it a minute early.
	tokenLifetime = 15 * time.Minute
	tokenRenewal  = 14 * time.Minute
)

// tokenSource mints and caches EKS bearer tokens.
type tokenSource struct {
	// sts presigns GetCallerIdentity at the endpoint the AWS config resolves for its
	// partition (sts.cn-north-1.amazonaws.com.cn in China, the FIPS endpoint when asked for).
	sts     *sts.PresignClient
	cluster string
	now     func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// newTokenSource mints tokens for a cluster with the credentials, region and endpoint
// settings of cfg.
func newTokenSource(cfg aws.Config, cluster string) *tokenSource {
	return &tokenSource{sts: sts.NewPresignClient(sts.NewFromConfig(cfg)), cluster: cluster, now: time.Now}
}

// Token returns a valid token, minting a new one when the cached one is within a minute of
// expiring.
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Before(s.expires.Add(-(tokenLifetime - tokenRenewal))) {
		return s.token, nil
	}
	tok, err := s.presign(ctx, now)
	if err != nil {
		return "", err
	}
	s.token, s.expires = tok, now.Add(tokenLifetime)
	return tok, nil
}

// presign signs GET sts:GetCallerIdentity for the cluster at time t, as aws-iam-authenticator
// does: the cluster in the signed x-k8s-aws-id header, and a 60 s X-Amz-Expires.
func (s *tokenSource) presign(ctx context.Context, t time.Time) (string, error) {
	req, err := s.sts.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(po *sts.PresignOptions) {
		po.Presigner = signedAt{next: po.Presigner, t: t}
		po.ClientOptions = append(po.ClientOptions, func(o *sts.Options) {
			o.APIOptions = append(o.APIOptions,
				smithyhttp.SetHeaderValue(clusterHeader, s.cluster),
				smithyhttp.SetHeaderValue("X-Amz-Expires", "60"))
		})
	})
	if err != nil {
		return "", fmt.Errorf("presigning the EKS token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)), nil
}

// signedAt presigns at a given time (the token source's clock) instead of the SDK's.
type signedAt struct {
	next sts.HTTPPresignerV4
	t    time.Time
}

func (p signedAt) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.next.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.t, optFns...)
}

// bearerTransport puts a fresh token on every request to the API server.
type bearerTransport struct {
	src  *tokenSource
	next http.RoundTripper
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.Token(req.Context())
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return t.next.RoundTrip(r)
}
