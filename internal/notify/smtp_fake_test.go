package notify

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSMTP speaks enough of RFC 5321 for net/smtp: EHLO, STARTTLS (when it
// has a certificate), AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT. It can
// also speak TLS from the start (SMTPS). Recipients containing "bad" are
// refused with 550, "busy" with 450.
type fakeSMTP struct {
	t        *testing.T
	ln       net.Listener
	cert     *tls.Certificate // offer STARTTLS with it
	implicit bool             // TLS from the first byte
	user     string           // require AUTH PLAIN with user/pass
	pass     string

	mu    sync.Mutex
	mails []fakeMail
	wg    sync.WaitGroup
}

type fakeMail struct {
	from   string
	to     []string
	data   string // as received, dot-unstuffed, CRLF kept
	tls    bool   // the transaction ran under TLS
	authed bool
}

func newFakeSMTP(t *testing.T, setup func(*fakeSMTP)) *fakeSMTP {
	t.Helper()
	f := &fakeSMTP{t: t}
	if setup != nil {
		setup(f)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if f.implicit {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*f.cert}})
	}
	f.ln = ln
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeSMTP) addr() string { return f.ln.Addr().String() }

func (f *fakeSMTP) received() []fakeMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMail(nil), f.mails...)
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	_, inTLS := c.(*tls.Conn)
	r := bufio.NewReader(c)
	say := func(lines ...string) {
		for _, l := range lines {
			c.Write([]byte(l + "\r\n"))
		}
	}
	say("220 fake.test ESMTP ready")
	var cur fakeMail
	authed := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"250-fake.test greets " + arg}
			if f.cert != nil && !inTLS && !f.implicit {
				ext = append(ext, "250-STARTTLS")
			}
			ext = append(ext, "250-AUTH PLAIN", "250 8BITMIME")
			say(ext...)
		case "STARTTLS":
			if f.cert == nil || inTLS {
				say("502 5.5.1 not offered")
				continue
			}
			say("220 2.0.0 go ahead")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{*f.cert}})
			if err := tc.Handshake(); err != nil {
				return
			}
			c, inTLS = tc, true
			r = bufio.NewReader(c)
			authed, cur = false, fakeMail{}
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			dec, err := base64.StdEncoding.DecodeString(resp)
			if strings.ToUpper(mech) != "PLAIN" || err != nil {
				say("504 5.5.4 unrecognised authentication type")
				continue
			}
			// RFC 4616: authzid NUL authcid NUL passwd
			parts := strings.Split(string(dec), "\x00")
			if len(parts) != 3 || parts[1] != f.user || parts[2] != f.pass {
				say("535 5.7.8 authentication credentials invalid")
				continue
			}
			authed = true
			say("235 2.7.0 authentication successful")
		case "MAIL":
			if f.user != "" && !authed {
				say("530 5.7.0 authentication required")
				continue
			}
			cur = fakeMail{from: addrOf(arg), tls: inTLS, authed: authed}
			say("250 2.1.0 ok")
		case "RCPT":
			to := addrOf(arg)
			switch {
			case strings.Contains(to, "bad"):
				say("550 5.1.1 no such user")
			case strings.Contains(to, "busy"):
				say("450 4.2.1 mailbox busy, try later")
			default:
				cur.to = append(cur.to, to)
				say("250 2.1.5 ok")
			}
		case "DATA":
			if cur.from == "" || len(cur.to) == 0 {
				say("503 5.5.1 bad sequence")
				continue
			}
			say("354 end with <CRLF>.<CRLF>")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing
			}
			cur.data = b.String()
			f.mu.Lock()
			f.mails = append(f.mails, cur)
			f.mu.Unlock()
			cur = fakeMail{}
			say("250 2.0.0 queued")
		case "RSET":
			cur = fakeMail{}
			say("250 2.0.0 ok")
		case "NOOP":
			say("250 2.0.0 ok")
		case "QUIT":
			say("221 2.0.0 bye")
			return
		default:
			say("502 5.5.2 command not recognised")
		}
	}
}

// addrOf takes the address out of "FROM:<a@b> BODY=8BITMIME".
func addrOf(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	a, _, _ := strings.Cut(rest, ">")
	return a
}

// selfSigned makes a certificate for 127.0.0.1 and the pool that trusts it.
func selfSigned(t *testing.T) (*tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "fake.test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
