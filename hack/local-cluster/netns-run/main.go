// Command netns-run runs a command in a private network namespace whose only
// way out is one forwarded TCP port: the local test cluster's API server.
//
// Why: the Knative operator's shared main (knative.dev/pkg sharedmain) always
// opens a profiling server on ":8008" and a health-probe server on ":8080",
// i.e. on every interface, and fails when those ports are taken. The local
// cluster must listen on loopback only and must not clash with other programs
// on the machine, so the operator runs in its own network namespace (only a
// loopback interface, nothing else reachable), where those listeners are
// invisible from outside, and reaches the API server through this forwarder:
//
//	host netns:     unix socket  ->  dial API server (127.0.0.1:PORT)
//	private netns:  listen 127.0.0.1:PORT  ->  unix socket
//
// The API server address, its TLS certificate and the kubeconfig stay the
// same inside and outside. Linux only; needs CAP_SYS_ADMIN (root).
//
// Usage: netns-run -target 127.0.0.1:PORT -socket /path/api.sock -- COMMAND [ARGS...]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

func pipe(a, b net.Conn) {
	var wg sync.WaitGroup
	cp := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			_ = dst.Close()
		}
	}
	wg.Add(2)
	go cp(a, b)
	go cp(b, a)
	wg.Wait()
	_ = a.Close()
	_ = b.Close()
}

func serve(l net.Listener, dial func() (net.Conn, error)) {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			log.Printf("accept: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go func() {
			up, err := dial()
			if err != nil {
				log.Printf("dial: %v", err)
				_ = c.Close()
				return
			}
			pipe(c, up)
		}()
	}
}

// loopbackUp sets IFF_UP on "lo" in the current network namespace
// (what `ip link set lo up` does), using the SIOCGIFFLAGS/SIOCSIFFLAGS ioctls.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var ifr struct {
		name  [syscall.IFNAMSIZ]byte
		flags uint16
		_     [22]byte
	}
	copy(ifr.name[:], "lo")
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return e
	}
	ifr.flags |= syscall.IFF_UP | syscall.IFF_RUNNING
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.SIOCSIFFLAGS, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return e
	}
	return nil
}

func main() {
	target := flag.String("target", "", "TCP address of the API server (host side), e.g. 127.0.0.1:6443")
	socket := flag.String("socket", "", "path of the unix socket that links the two sides")
	inner := flag.Bool("inner", false, "internal: run as the process inside the private namespace")
	flag.Parse()
	log.SetPrefix("netns-run: ")
	if *target == "" || *socket == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: netns-run -target HOST:PORT -socket PATH -- COMMAND [ARGS...]")
		os.Exit(2)
	}
	if *inner {
		os.Exit(runInner(*target, *socket, flag.Args()))
	}
	os.Exit(runOuter(*target, *socket, flag.Args()))
}

// runOuter listens on the unix socket (host network namespace), forwards each
// connection to the API server and starts itself again in a new network
// namespace as the inner side.
func runOuter(target, socket string, args []string) int {
	_ = os.Remove(socket)
	l, err := net.Listen("unix", socket)
	if err != nil {
		log.Printf("listen %s: %v", socket, err)
		return 1
	}
	defer os.Remove(socket)
	_ = os.Chmod(socket, 0o600)
	go serve(l, func() (net.Conn, error) { return net.DialTimeout("tcp", target, 10*time.Second) })

	self, err := os.Executable()
	if err != nil {
		log.Print(err)
		return 1
	}
	cmd := exec.Command(self, append([]string{"-inner", "-target", target, "-socket", socket, "--"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		log.Printf("start in a new network namespace: %v", err)
		return 1
	}
	return forwardSignalsAndWait(cmd)
}

// runInner brings up loopback, listens on the API server's address inside the
// private namespace, forwards to the unix socket and runs the command.
func runInner(target, socket string, args []string) int {
	if err := loopbackUp(); err != nil {
		log.Printf("bring up loopback: %v", err)
		return 1
	}
	l, err := net.Listen("tcp", target)
	if err != nil {
		log.Printf("listen %s: %v", target, err)
		return 1
	}
	go serve(l, func() (net.Conn, error) { return net.DialTimeout("unix", socket, 10*time.Second) })
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		log.Printf("start %s: %v", args[0], err)
		return 1
	}
	return forwardSignalsAndWait(cmd)
}

func forwardSignalsAndWait(cmd *exec.Cmd) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		log.Print(err)
		return 1
	}
	return 0
}
