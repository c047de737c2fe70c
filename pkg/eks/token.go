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
	// emptySHA256 is the payload hash of a GET with no body.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// tokenSource mints and caches EKS bearer tokens.
type tokenSource struct {
	creds   aws.CredentialsProvider
	region  string
	cluster string
	now     func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
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
	tok, err := presignToken(ctx, s.creds, s.region, s.cluster, now)
	if err != nil {
		return "", err
	}
	s.token, s.expires = tok, now.Add(tokenLifetime)
	return tok, nil
}

// presignToken signs GET sts:GetCallerIdentity for the cluster at time t.
func presignToken(ctx context.Context, creds aws.CredentialsProvider, region, cluster string, t time.Time) (string, error) {
	c, err := creds.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("AWS credentials for the EKS token: %w", err)
	}
	url := fmt.Sprintf("https://sts.%s.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", region)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set(clusterHeader, cluster)
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, c, req, emptySHA256, "sts", region, t)
	if err != nil {
		return "", fmt.Errorf("presigning the EKS token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(signed)), nil
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
