// autoconf.go owns what the management plane learns at run time: the
// IPv4 address by DHCP on the ports whose configuration says `dhcp`
// (their static IPv4 addresses and gateway are the fallback), the filter's "self"
// following the leases, and the wall clock by SNTP from the configured
// servers and those the leases name (option 42).
//
//go:build tamago && arm

package appliance

import (
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/fosbury-net/fosbury/mgmt"
	"github.com/fosbury-net/fosbury/netstack"
	"github.com/fosbury-net/fosbury/netstack/dhcp"
	"github.com/fosbury-net/fosbury/netstack/sntp"
)

type autoconf struct {
	dhcp  []*dhcp.Client // by port index; nil: static addressing
	clock *sntp.Client

	mu  sync.Mutex         // guards ntp: OnChange runs on each port's client
	ntp [][]netip.AddrPort // SNTP servers of each port's lease
}

// StartAutoconf starts SNTP, and DHCP on the ports that ask for it.
func (a *Appliance) StartAutoconf(cfg *netstack.Config) error {
	au := &a.auto
	au.dhcp = make([]*dhcp.Client, len(a.ports))
	au.ntp = make([][]netip.AddrPort, len(a.ports))
	au.clock = sntp.Start(sntp.Options{Stack: a.stack.Stack, Servers: cfg.NTP, Adjust: stepWallClock, Logf: logf})
	for i, p := range a.ports {
		pc := cfg.Port(p.info.Name)
		if pc == nil || !pc.DHCP {
			continue
		}
		id, _ := a.stack.NICID(p.info.Name)
		o := dhcp.Options{Stack: a.stack.Stack, NIC: id, Name: p.info.Name, MAC: p.addr, Hostname: "fosbury", Logf: logf,
			OnChange: func(l *dhcp.Lease) { a.leaseChanged(i, l) }}
		for _, pfx := range pc.Addrs {
			if pfx.Addr().Is4() {
				o.Fallback = append(o.Fallback, pfx)
			}
		}
		for _, g := range pc.Gateways {
			if g.Is4() {
				o.FallbackGateway = g
			}
		}
		c, err := dhcp.Start(o)
		if err != nil {
			return fmt.Errorf("%s: %w", p.info.Name, err)
		}
		au.dhcp[i] = c
	}
	return nil
}

// leaseChanged follows a lease of port i (nil: it ended): the filter's
// self is the stack's addresses again, and the lease's SNTP servers
// join the configured ones.
func (a *Appliance) leaseChanged(i int, l *dhcp.Lease) {
	if err := a.filter.SetSelf(a.stack.Self()); err != nil {
		logf("filter: self after the lease of %s: %v", a.ports[i].info.Name, err)
	}
	var servers []netip.AddrPort
	if l != nil {
		for _, n := range l.NTP {
			servers = append(servers, netip.AddrPortFrom(n, 123))
		}
	}
	au := &a.auto
	au.mu.Lock()
	au.ntp[i] = servers
	var all []netip.AddrPort
	for _, s := range au.ntp {
		all = append(all, s...)
	}
	au.mu.Unlock()
	au.clock.SetExtra(all)
}

// collectAutoconf adds the leases and the clock to /status.
func (a *Appliance) collectAutoconf(st *mgmt.Status) {
	au := &a.auto
	if au.clock == nil {
		return
	}
	st.Clock = au.clock.Status()
	for i := range st.Ports {
		if i < len(au.dhcp) && au.dhcp[i] != nil {
			s := au.dhcp[i].Status()
			st.Ports[i].DHCP = &s
		}
	}
}

// logf prints one console line stamped with the wall clock (the Unix
// epoch plus uptime until SNTP has set it).
func logf(format string, a ...any) {
	fmt.Printf(time.Now().UTC().Format("2006-01-02T15:04:05.000Z ")+format+"\n", a...)
}
