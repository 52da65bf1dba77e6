package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sotto-im/sotto/relay/client"
	"github.com/sotto-im/sotto/relay/relaytest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sotto-relay test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}

// TestTLSAndQuietLogs serves the API over TLS with --tls-cert/--tls-key,
// runs a registration, a lookup and a send through it at debug log level,
// and checks the relay's logs hold no handle, key or envelope text.
func TestTLSAndQuietLogs(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	p := startRelay(t, "--listen", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile,
		"--store", "sqlite:"+filepath.Join(t.TempDir(), "r.db"), "--pow-bits", "1", "--pow-memory", "8", "--log-level", "debug")
	if !strings.HasPrefix(p.url, "https://") {
		t.Fatalf("listening on %s", p.url)
	}
	// Plain HTTP to the TLS port fails.
	if resp, err := http.Get("http://" + strings.TrimPrefix(p.url, "https://") + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP served on the TLS listener")
		}
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	reg := func(name string) *relaytest.Device {
		d := relaytest.NewDevice(t, name, 1)
		c, err := client.New(p.url, hc)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := c.Register(ctx, d.Registration()); err != nil {
			t.Fatal(err)
		}
		c.SetDevice(d.Addr, d.Key)
		d.Client = c
		return d
	}
	alice, bob := reg("secret_alice"), reg("secret_bob")
	if _, err := alice.Client.Lookup(context.Background(), bob.Handle); err != nil {
		t.Fatal(err)
	}
	body := []byte("envelope-text-that-must-not-be-logged")
	if _, err := alice.Client.SendSealed(context.Background(), bob.Addr, bob.Token, body); err != nil {
		t.Fatal(err)
	}
	// Provoke error paths too.
	_, _ = alice.Client.SendSealed(context.Background(), bob.Addr, alice.Token, body)
	_, _ = alice.Client.Register(context.Background(), alice.Registration())
	time.Sleep(200 * time.Millisecond)
	logs := p.stderrString()
	if !strings.Contains(logs, `"msg":"listening"`) {
		t.Fatalf("relay logs not captured: %q", logs)
	}
	for _, secret := range []string{"secret_alice", "secret_bob", string(body), bob.Handle.Hash().String()[:16],
		alice.Identity.Public().String(), mustTok(t, alice.Client)} {
		if strings.Contains(logs, secret) {
			t.Errorf("relay log contains %q", secret)
		}
	}
}

func mustTok(t *testing.T, c *client.Client) string {
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
