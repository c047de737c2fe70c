package ecssim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The tests run against a real moto_server, started once here on a free loopback port and
// stopped by its PID at the end. Each test uses its own moto account (x-moto-account-id), so
// tests do not see each other's clusters.

var motoURL string

func TestMain(m *testing.M) {
	stop, err := startMoto()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ecssim tests need moto_server (pip install 'moto[server]'):", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

func startMoto() (stop func(), err error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	var logs bytes.Buffer
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// Its own process group: moto_server may be a wrapper script, and this kills what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid
	stop = func() {
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-done
		}
	}
	motoURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitMoto(motoURL); err != nil {
		stop()
		return nil, fmt.Errorf("%w; moto output:\n%s", err, logs.String())
	}
	return stop, nil
}

// waitMoto waits for moto to answer, then warms its ECS backend, whose first call is slow.
func waitMoto(base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return errors.New("moto_server not ready after 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", ecsTargetPrefix+"ListClusters")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("warming moto's ECS backend: %w", err)
	}
	resp.Body.Close()
	return nil
}

// defaultSubnets lists the default VPC's subnets of an account with a SigV4-signed EC2 Query
// call: CreateService with awsvpc needs subnets that exist in moto's EC2. Going through the
// simulator also proves that non-ECS calls pass through untouched.
func defaultSubnets(t *testing.T, endpoint, account string) []string {
	t.Helper()
	body := "Action=DescribeSubnets&Version=2016-11-15"
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("x-moto-account-id", account)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "ec2", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("EC2 DescribeSubnets: %v", err)
	}
	defer resp.Body.Close()
	var out struct {
		Subnets []string `xml:"subnetSet>item>subnetId"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("EC2 DescribeSubnets: HTTP %d, %v", resp.StatusCode, err)
	}
	if len(out.Subnets) == 0 {
		t.Fatal("EC2 DescribeSubnets: moto returned no default subnets")
	}
	return out.Subnets
}
