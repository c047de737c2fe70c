package ecssim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
)

// ecsTargetPrefix starts the X-Amz-Target of every ECS call (awsJson1.1).
const ecsTargetPrefix = "AmazonEC2ContainerServiceV20141113."

// newPassthrough forwards a call to moto untouched. The Host header is kept: moto does not
// check SigV4 signatures, but some of its services (S3 virtual hosts) route on Host.
func newPassthrough(moto *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(moto)
			pr.Out.Host = pr.In.Host
		},
	}
}

// motoReply is moto's answer to a call the simulator makes on a client's behalf.
type motoReply struct {
	status int
	header http.Header
	body   []byte
}

func (m *motoReply) ok() bool { return m.status == http.StatusOK }

// relay sends moto's answer on to the client unchanged (errors included, so the client sees
// moto's typed exceptions).
func (m *motoReply) relay(w http.ResponseWriter) {
	for k, vs := range m.header {
		if k == "Content-Length" || k == "Connection" {
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(m.status)
	_, _ = w.Write(m.body)
}

// callMoto sends body to moto as ECS operation op, with the client's headers: the
// Authorization header carries the region and moto routes on it; x-moto-account-id picks
// the account.
func (s *Simulator) callMoto(ctx context.Context, in http.Header, op string, body []byte) (*motoReply, error) {
	return s.callMotoAs(ctx, in, ecsTargetPrefix, op, body)
}

// callMotoAs sends body to moto as operation op of the awsJson service whose X-Amz-Target
// starts with prefix (ECS's or CloudWatch Logs'), with the given headers.
func (s *Simulator) callMotoAs(ctx context.Context, in http.Header, prefix, op string, body []byte) (*motoReply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.moto.JoinPath("/").String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range in {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Accept-Encoding", "Connection", "Host":
			// Set by the transport; leaving Accept-Encoding out lets it ungzip for us.
		default:
			req.Header[k] = vs
		}
	}
	req.Header.Set("X-Amz-Target", prefix+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("moto %s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("moto %s: %w", op, err)
	}
	return &motoReply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// describeTaskDef asks moto for a task definition, resolving "family", "family:rev" or an
// ARN to the full record; moto stores what UpdateService was given literally, so this is how
// the simulator learns the ARN and the images.
func (s *Simulator) describeTaskDef(ctx context.Context, in http.Header, ref string) (*taskDef, error) {
	body, _ := json.Marshal(obj{"taskDefinition": ref})
	rep, err := s.callMoto(ctx, in, "DescribeTaskDefinition", body)
	if err != nil {
		return nil, err
	}
	if !rep.ok() {
		return nil, fmt.Errorf("moto DescribeTaskDefinition %s: HTTP %d: %s", ref, rep.status, rep.body)
	}
	o, err := decodeObj(rep.body)
	if err != nil {
		return nil, fmt.Errorf("moto DescribeTaskDefinition %s: %w", ref, err)
	}
	td := taskDefFrom(o)
	if td.arn == "" {
		return nil, fmt.Errorf("moto DescribeTaskDefinition %s: no taskDefinitionArn", ref)
	}
	return td, nil
}

// resetMoto wipes all of moto's state (every account and region).
func (s *Simulator) resetMoto(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.moto.JoinPath("/moto-api/reset").String(), nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("moto reset: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto reset: HTTP %d", resp.StatusCode)
	}
	return nil
}
