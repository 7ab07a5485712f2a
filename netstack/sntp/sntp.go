// Package sntp keeps the appliance's wall clock by SNTPv4 (RFC 4330)
// over the gVisor stack: it asks the configured servers, then those a
// DHCP lease names, and steps the clock by the measured offset.
//
// The message exchange and its checks are github.com/beevik/ntp's (a
// maintained SNTP client, pure Go, builds for tamago): a random
// transmit timestamp that the reply's origin must match, server mode,
// a non-zero transmit timestamp, stratum 1-15 (0 is a kiss-of-death),
// leap not "unsynchronised", root distance and reference freshness.
// It talks through a gonet UDP conn handed to it by QueryOptions.Dialer.
// accept adds the checks for this client: a non-negative round trip and
// a date no earlier than the firmware's era.
package sntp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beevik/ntp"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// Polling (RFC 4330 §10: never more often than every 15 s).
const (
	queryTimeout = 5 * time.Second
	minPoll      = 16 * time.Second   // first retry after a failed round
	maxPoll      = 1024 * time.Second // after a sync, and the retry cap
	kissWait     = 24 * time.Hour     // a server that sent a kiss-of-death rests
)

// earliest is the earliest date a server may give: a clock set before
// it is a bogus server's, not the time.
var earliest = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Options configures a Client.
type Options struct {
	Stack *stack.Stack
	// Servers are asked first, in order.
	Servers []netip.AddrPort
	// Adjust moves the wall clock by offset (time.Now() + offset is the
	// server's time); the monotonic clock must not move.
	Adjust func(offset time.Duration)
	Logf   func(format string, a ...any)
}

// Status is the clock's state for /status.
type Status struct {
	Synced   bool           `json:"synced"`
	LastSync *time.Time     `json:"last_sync,omitempty"` // wall clock, just after the step
	Offset   time.Duration  `json:"offset_ns"`           // the last step
	RTT      time.Duration  `json:"rtt_ns"`
	Server   netip.AddrPort `json:"server"`
	Stratum  uint8          `json:"stratum"`
	Queries  uint64         `json:"queries"`
	Accepted uint64         `json:"accepted"`
	// Rejected replies failed a check (kiss-of-death included); Failed
	// queries got no reply in time or could not be sent.
	Rejected  uint64 `json:"rejected"`
	Kisses    uint64 `json:"kisses_of_death"`
	Failed    uint64 `json:"failed"`
	LastError string `json:"last_error,omitempty"`
}

// Client polls the servers on its own goroutine.
type Client struct {
	o    Options
	kick chan struct{}
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex // guards extra, kissed, st
	extra  []netip.AddrPort
	kissed map[netip.AddrPort]time.Time
	st     Status

	queries atomic.Uint64
}

// Start begins polling at once.
func Start(o Options) *Client {
	c := &Client{o: o, kick: make(chan struct{}, 1), done: make(chan struct{}), kissed: map[netip.AddrPort]time.Time{}}
	c.wg.Add(1)
	go c.run()
	return c
}

// Close stops polling.
func (c *Client) Close() {
	close(c.done)
	c.wg.Wait()
}

// SetExtra sets the servers asked after the configured ones (DHCP
// option 42) and asks again soon if the clock is not yet set.
func (c *Client) SetExtra(servers []netip.AddrPort) {
	c.mu.Lock()
	c.extra = slices.Clone(servers)
	synced := c.st.Synced
	c.mu.Unlock()
	if !synced {
		c.Kick()
	}
}

// Kick asks for a round now, not earlier than minPoll after the last.
func (c *Client) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Status returns the clock's state.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	st.Queries = c.queries.Load()
	return st
}

func (c *Client) run() {
	defer c.wg.Done()
	wait := minPoll
	last := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-c.kick:
			if d := minPoll - time.Since(last); d > 0 {
				timer.Reset(d) // RFC 4330 §10: not more often than that
				continue
			}
		case <-timer.C:
		}
		last = time.Now()
		if c.round() {
			wait = minPoll
			timer.Reset(maxPoll)
		} else {
			timer.Reset(wait)
			wait = min(2*wait, maxPoll)
		}
	}
}

// round asks each server in turn until one gives an acceptable answer.
func (c *Client) round() bool {
	c.mu.Lock()
	servers := append(slices.Clone(c.o.Servers), c.extra...)
	c.mu.Unlock()
	for _, s := range slices.Compact(servers) {
		c.mu.Lock()
		rest := time.Until(c.kissed[s]) > 0
		c.mu.Unlock()
		if rest {
			continue
		}
		if c.query(s) {
			return true
		}
	}
	return false
}

func (c *Client) query(s netip.AddrPort) bool {
	c.queries.Add(1)
	resp, off, err := exchange(s, func() (net.Conn, error) { return c.dial(s) })
	c.mu.Lock()
	defer c.mu.Unlock()
	var netErr net.Error
	switch {
	case err == nil:
	case errors.As(err, &netErr): // no reply in time, unreachable
		c.st.Failed++
	case errors.Is(err, ntp.ErrKissOfDeath):
		c.st.Kisses++
		c.kissed[s] = time.Now().Add(kissWait)
		fallthrough
	default:
		c.st.Rejected++
	}
	if err != nil {
		c.st.LastError = fmt.Sprintf("%v: %v", s, err)
		return false
	}
	c.o.Adjust(off)
	now := time.Now().Round(0)
	c.st.Synced, c.st.LastSync, c.st.Offset, c.st.RTT = true, &now, off, resp.RTT
	c.st.Server, c.st.Stratum, c.st.LastError = s, resp.Stratum, ""
	c.st.Accepted++
	if c.o.Logf != nil {
		c.o.Logf("sntp: clock stepped by %v from %v (stratum %d): %s", off, s, resp.Stratum, now.UTC().Format(time.RFC3339Nano))
	}
	return true
}

func (c *Client) dial(s netip.AddrPort) (net.Conn, error) {
	proto := ipv4.ProtocolNumber
	if s.Addr().Is6() {
		proto = ipv6.ProtocolNumber
	}
	return gonet.DialUDP(c.o.Stack, nil, &tcpip.FullAddress{Addr: tcpip.AddrFromSlice(s.Addr().AsSlice()), Port: s.Port()}, proto)
}

// exchange runs one query over the conn dial returns and checks it.
func exchange(s netip.AddrPort, dial func() (net.Conn, error)) (*ntp.Response, time.Duration, error) {
	resp, err := ntp.QueryWithOptions(s.String(), ntp.QueryOptions{Timeout: queryTimeout,
		Dialer: func(_, _ string) (net.Conn, error) { return dial() }})
	off, err := accept(resp, err, time.Now())
	return resp, off, err
}

// ErrRejected wraps the checks accept adds to the library's.
var ErrRejected = errors.New("sntp: reply rejected")

// accept checks a query's outcome and returns the clock offset to apply.
func accept(resp *ntp.Response, err error, now time.Time) (time.Duration, error) {
	if err != nil {
		return 0, err
	}
	if err := resp.Validate(); err != nil {
		if resp.IsKissOfDeath() {
			return 0, fmt.Errorf("%w (%s)", err, resp.KissCode)
		}
		return 0, err
	}
	if resp.RTT < 0 || resp.RTT > queryTimeout {
		return 0, fmt.Errorf("%w: round trip %v", ErrRejected, resp.RTT)
	}
	if now.Add(resp.ClockOffset).Before(earliest) {
		return 0, fmt.Errorf("%w: the server says it is %v", ErrRejected, now.Add(resp.ClockOffset).UTC())
	}
	return resp.ClockOffset, nil
}
