package eks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

var testCreds = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")

func decodeToken(t *testing.T, tok string) *url.URL {
	t.Helper()
	raw, ok := strings.CutPrefix(tok, "k8s-aws-v1.")
	if !ok {
		t.Fatalf("token %q lacks the k8s-aws-v1. prefix", tok)
	}
	if strings.ContainsAny(raw, "+/=") {
		t.Fatalf("token is not unpadded base64url: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestTokenFormat(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	tok, err := testTokenSource("ap-northeast-2", "prod").presign(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	u := decodeToken(t, tok)
	q := u.Query()
	checks := map[string]string{
		"host":                u.Host,
		"Action":              q.Get("Action"),
		"Version":             q.Get("Version"),
		"X-Amz-Expires":       q.Get("X-Amz-Expires"),
		"X-Amz-Date":          q.Get("X-Amz-Date"),
		"X-Amz-Algorithm":     q.Get("X-Amz-Algorithm"),
		"credential scope":    q.Get("X-Amz-Credential"),
		"signed the cluster?": q.Get("X-Amz-SignedHeaders"),
	}
	want := map[string]string{
		"host":                "sts.ap-northeast-2.amazonaws.com",
		"Action":              "GetCallerIdentity",
		"Version":             "2011-06-15",
		"X-Amz-Expires":       "60",
		"X-Amz-Date":          "20261126T100000Z",
		"X-Amz-Algorithm":     "AWS4-HMAC-SHA256",
		"credential scope":    "AKIDEXAMPLE/20261126/ap-northeast-2/sts/aws4_request",
		"signed the cluster?": "host;x-k8s-aws-id",
	}
	for k, v := range want {
		if checks[k] != v {
			t.Errorf("%s = %q, want %q", k, checks[k], v)
		}
	}
	// aws-iam-authenticator refuses any other query parameter, and any path but /.
	allowed := map[string]bool{"Action": true, "Version": true, "X-Amz-Algorithm": true, "X-Amz-Credential": true, "X-Amz-Date": true,
		"X-Amz-Expires": true, "X-Amz-Security-Token": true, "X-Amz-Signature": true, "X-Amz-SignedHeaders": true}
	for k := range q {
		if !allowed[k] {
			t.Errorf("query parameter %s: aws-iam-authenticator refuses it", k)
		}
	}
	if u.Scheme != "https" || u.Path != "/" {
		t.Errorf("%s: want https and path /", u)
	}
	if len(q.Get("X-Amz-Signature")) != 64 {
		t.Errorf("signature %q", q.Get("X-Amz-Signature"))
	}
	// Another cluster gets another signature: the cluster name is part of what is signed.
	other, _ := testTokenSource("ap-northeast-2", "staging").presign(context.Background(), at)
	if decodeToken(t, other).Query().Get("X-Amz-Signature") == q.Get("X-Amz-Signature") {
		t.Error("the cluster name is not signed")
	}
}

func testTokenSource(region, cluster string, opts ...func(*aws.Config)) *tokenSource {
	cfg := aws.Config{Region: region, Credentials: testCreds}
	for _, o := range opts {
		o(&cfg)
	}
	return newTokenSource(cfg, cluster)
}

// The STS host is the one of the region's partition, and the FIPS one when the AWS config
// asks for FIPS endpoints: a hard-coded sts.<region>.amazonaws.com is wrong in China.
func TestTokenHostFollowsThePartition(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	fips := func(c *aws.Config) { c.ConfigSources = append(c.ConfigSources, fipsConfig{}) }
	for _, tc := range []struct {
		region string
		opts   []func(*aws.Config)
		host   string
	}{
		{"us-east-1", nil, "sts.us-east-1.amazonaws.com"},
		{"cn-north-1", nil, "sts.cn-north-1.amazonaws.com.cn"},
		{"us-gov-west-1", nil, "sts.us-gov-west-1.amazonaws.com"},
		{"us-east-1", []func(*aws.Config){fips}, "sts-fips.us-east-1.amazonaws.com"},
	} {
		tok, err := testTokenSource(tc.region, "prod", tc.opts...).presign(context.Background(), at)
		if err != nil {
			t.Fatal(err)
		}
		u := decodeToken(t, tok)
		if u.Host != tc.host || u.Scheme != "https" || !strings.Contains(u.Query().Get("X-Amz-Credential"), "/"+tc.region+"/sts/aws4_request") {
			t.Errorf("%s %d: %s, want host %s", tc.region, len(tc.opts), u, tc.host)
		}
	}
}

// fipsConfig is a config source that asks for FIPS endpoints, as AWS_USE_FIPS_ENDPOINT=true.
type fipsConfig struct{}

func (fipsConfig) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	return aws.FIPSEndpointStateEnabled, true, nil
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	src := testTokenSource("us-east-1", "c")
	src.now = func() time.Time { return now }
	first, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(13*time.Minute + 59*time.Second)
	if again, _ := src.Token(context.Background()); again != first {
		t.Error("token renewed before 14 minutes")
	}
	now = now.Add(2 * time.Second) // 14m01s: within a minute of the 15-minute expiry
	renewed, _ := src.Token(context.Background())
	if renewed == first {
		t.Error("token not renewed a minute before it expires")
	}
	if got := decodeToken(t, renewed).Query().Get("X-Amz-Date"); got != "20261126T101401Z" {
		t.Errorf("renewed token signed at %s", got)
	}
}

// selfSignedPEM makes a throwaway CA certificate (httptest servers all share one).
func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

type fakeEKS struct{ out *awseks.DescribeClusterOutput }

func (f fakeEKS) DescribeCluster(ctx context.Context, in *awseks.DescribeClusterInput, _ ...func(*awseks.Options)) (*awseks.DescribeClusterOutput, error) {
	return f.out, nil
}

// TestEKSRestConfig: DescribeCluster's endpoint and CA make a client that verifies the API
// server's certificate with that CA and sends a fresh IAM token on every request.
func TestEKSRestConfig(t *testing.T) {
	var auth atomic.Value
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"kind":"NamespaceList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"default"}}]}`))
	}))
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	out := &awseks.DescribeClusterOutput{Cluster: &ekstypes.Cluster{
		Endpoint:             aws.String(srv.URL),
		CertificateAuthority: &ekstypes.Certificate{Data: aws.String(base64.StdEncoding.EncodeToString(ca))},
	}}
	cfg, err := eksRestConfig(context.Background(), fakeEKS{out}, aws.Config{Region: "ap-northeast-2", Credentials: testCreds}, "prod")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list over the EKS config: %v %v", list, err)
	}
	got, _ := auth.Load().(string)
	tok, ok := strings.CutPrefix(got, "Bearer ")
	if !ok {
		t.Fatalf("Authorization = %q", got)
	}
	u := decodeToken(t, tok)
	if u.Query().Get("Action") != "GetCallerIdentity" {
		t.Errorf("token URL %s", u)
	}

	// A CA that is not the server's is refused: TLS is really verified.
	badCA := selfSignedPEM(t)
	out.Cluster.CertificateAuthority.Data = aws.String(base64.StdEncoding.EncodeToString(badCA))
	cfg, _ = eksRestConfig(context.Background(), fakeEKS{out}, aws.Config{Region: "ap-northeast-2", Credentials: testCreds}, "prod")
	cs, _ = kubernetes.NewForConfig(cfg)
	if _, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("wrong CA accepted: %v", err)
	}
	// moto's DescribeCluster returns random, non-PEM bytes as the CA: a clear error.
	out.Cluster.CertificateAuthority.Data = aws.String(base64.StdEncoding.EncodeToString([]byte("not a pem")))
	cfg, _ = eksRestConfig(context.Background(), fakeEKS{out}, aws.Config{Region: "ap-northeast-2", Credentials: testCreds}, "prod")
	if _, err := kubernetes.NewForConfig(cfg); err == nil {
		t.Error("non-PEM CA accepted")
	}
}
