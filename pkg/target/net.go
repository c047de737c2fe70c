package target

import (
	"net"
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Connection limits of every API client (AWS and Kubernetes): an endpoint that accepts a
// connection but never answers must not hold a command for ever.
const (
	// DialTimeout bounds opening a TCP connection.
	DialTimeout = 10 * time.Second
	// TLSHandshakeTimeout bounds the TLS handshake.
	TLSHandshakeTimeout = 10 * time.Second
)

// boundedBy returns d capped by the request timeout (when there is one).
func boundedBy(d, request time.Duration) time.Duration {
	if request > 0 && request < d {
		return request
	}
	return d
}

// AWSHTTPClient is the HTTP client of every AWS SDK client shipit builds: the SDK's own
// buildable client with dial, TLS handshake and response header timeouts and, when
// requestTimeout > 0, a bound on each attempt. The SDK's retryer retries attempts that time
// out, within the command's context.
func AWSHTTPClient(requestTimeout time.Duration) *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithTimeout(requestTimeout).
		WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = boundedBy(DialTimeout, requestTimeout)
		}).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = boundedBy(TLSHandshakeTimeout, requestTimeout)
			if requestTimeout > 0 {
				t.ResponseHeaderTimeout = requestTimeout
			}
		})
}
