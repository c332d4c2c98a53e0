package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/recap-dev/recap/pipeline"
)

// fetchResult is one poll's outcome.
type fetchResult struct {
	body         []byte
	contentType  string
	etag         string
	lastModified string
	notModified  bool
}

// validators are what a conditional request sends back.
type validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// errBlockedAddress is returned for a feed that resolves to a private,
// loopback or otherwise internal address while allow_private is off.
var errBlockedAddress = errors.New("address is private, loopback or link-local (set allow_private: true to allow it)")

// fetcher gets feed bodies over http(s) or from files, with a timeout, a body
// size limit (applied after decompression) and an internal-address guard that
// is checked on the connected IP, so DNS tricks and redirects cannot bypass it.
type fetcher struct {
	client    *http.Client
	maxBytes  int64
	userAgent string
	path      func(string) string // resolves relative file paths against the config file
}

func newFetcher(timeout time.Duration, maxBytes int64, allowPrivate bool, userAgent string, path func(string) string) *fetcher {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || internalIP(ip) {
				return fmt.Errorf("%s: %w", host, errBlockedAddress)
			}
			return nil
		}
	}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &fetcher{
		client: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("more than 5 redirects")
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to unsupported scheme %q", req.URL.Scheme)
				}
				return nil
			},
		},
		maxBytes:  maxBytes,
		userAgent: userAgent,
		path:      path,
	}
}

func internalIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		// Carrier-grade NAT and the IPv4 "this network" block are internal too.
		(ip.To4() != nil && (ip.To4()[0] == 0 || (ip.To4()[0] == 100 && ip.To4()[1]&0xc0 == 64)))
}

// fetch gets a feed, conditionally when prev has validators.
func (f *fetcher) fetch(ctx context.Context, rawURL string, prev validators) (*fetchResult, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
		return f.fetchHTTP(ctx, u, prev)
	case "file", "":
		return f.fetchFile(fileURLPath(u), prev)
	}
	return nil, fmt.Errorf("unsupported URL scheme %q (use http, https or file)", u.Scheme)
}

// fileURLPath turns file:///abs, file:rel/path and bare paths into a file path.
func fileURLPath(u *url.URL) string {
	if u.Opaque != "" {
		return u.Opaque
	}
	if u.Host != "" && u.Host != "localhost" {
		return u.Host + u.Path // file://relative/path written by hand
	}
	return u.Path
}

func (f *fetcher) fetchHTTP(ctx context.Context, u *url.URL, prev validators) (*fetchResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return &fetchResult{notModified: true, etag: prev.ETag, lastModified: prev.LastModified}, nil
	}
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &statusError{resp.StatusCode, resp.Status}
	}
	if resp.ContentLength > f.maxBytes {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds max_bytes %d", pipeline.ErrTooLarge, resp.ContentLength, f.maxBytes)
	}
	body, err := pipeline.ReadAtMost(resp.Body, f.maxBytes)
	if err != nil {
		return nil, err
	}
	return &fetchResult{
		body:         body,
		contentType:  resp.Header.Get("Content-Type"),
		etag:         resp.Header.Get("ETag"),
		lastModified: resp.Header.Get("Last-Modified"),
	}, nil
}

// fetchFile reads a local feed; size and modification time act as validators.
func (f *fetcher) fetchFile(path string, prev validators) (*fetchResult, error) {
	if path == "" {
		return nil, errors.New("empty file path")
	}
	path = f.path(path)
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	tag := fmt.Sprintf("file:%d:%d", st.Size(), st.ModTime().UnixNano())
	if prev.ETag == tag {
		return &fetchResult{notModified: true, etag: tag}, nil
	}
	body, err := pipeline.ReadAtMost(file, f.maxBytes)
	if err != nil {
		return nil, err
	}
	return &fetchResult{body: body, etag: tag}, nil
}

type statusError struct {
	code   int
	status string
}

func (e *statusError) Error() string { return "HTTP " + strings.TrimSpace(e.status) }
