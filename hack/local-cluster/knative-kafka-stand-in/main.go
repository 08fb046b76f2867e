// Command knative-kafka-stand-in is a TEST DOUBLE. It stands in for the part of
// the OpenShift Serverless operator (openshift-knative/serverless-operator,
// "knative-operator" component) that reconciles KnativeKafka objects
// (operator.serverless.openshift.io/v1alpha1). That operator cannot be built or
// run on the local test cluster, so this small program does only what the
// collection's integration tests need from it:
//
//   - it watches KnativeKafka objects in one namespace (knative-eventing);
//   - for each, it makes sure the Deployments kafka-controller and
//     kafka-webhook-eventing exist in that namespace (owned by the KnativeKafka,
//     so they are garbage collected with it) with
//     spec.replicas = spec.high-availability.replicas, defaulting to 1 when
//     unset (as the real operator's code does; its docs say 2);
//   - it keeps status honest: status.observedGeneration is the generation it
//     acted on, and the conditions InstallSucceeded, DeploymentsAvailable and
//     Ready say whether both Deployments exist and report
//     readyReplicas == desired replicas.
//
// It installs none of the real Knative Kafka components: the pods of the two
// Deployments are scheduled on a kwok fake node and run no code.
//
// It only uses the Go standard library: it talks to the API server with a
// bearer token (its own identity, never the tests' users), polls nothing in a
// tight loop (it watches, and resyncs every 30 seconds) and listens on no port.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"time"
)

const (
	kkGroupVersion = "operator.serverless.openshift.io/v1alpha1"
	kkKind         = "KnativeKafka"
	kkResource     = "knativekafkas"
	managedByLabel = "app.kubernetes.io/managed-by"
	managedByValue = "knative-kafka-stand-in"
	fieldManager   = "knative-kafka-stand-in"
)

// The control-plane deployments that KnativeKafka's high-availability setting
// scales (serverless-operator: knative-operator/pkg/reconciler/knativekafka).
var haDeployments = []string{"kafka-controller", "kafka-webhook-eventing"}

type client struct {
	server string
	token  string
	http   *http.Client
}

type apiError struct {
	Code int
	Body string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Code, strings.TrimSpace(e.Body))
}

func isNotFound(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == http.StatusNotFound
}

func isConflict(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == http.StatusConflict
}

func (c *client) do(ctx context.Context, method, path, contentType string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "knative-kafka-stand-in")
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return &apiError{Code: resp.StatusCode, Body: string(data)}
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

type obj = map[string]any

func get(m obj, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func getInt(m obj, path ...string) (int64, bool) {
	switch v := get(m, path...).(type) {
	case float64:
		return int64(v), true
	case json.Number:
		i, err := v.Int64()
		return i, err == nil
	}
	return 0, false
}

func getString(m obj, path ...string) string {
	s, _ := get(m, path...).(string)
	return s
}

// desiredReplicas mirrors the serverless-operator: when
// spec.high-availability.replicas is unset the control plane runs 1 replica.
func desiredReplicas(kk obj) int64 {
	if n, ok := getInt(kk, "spec", "high-availability", "replicas"); ok {
		return n
	}
	return 1
}

func deploymentFor(kk obj, name string, replicas int64) obj {
	ns := getString(kk, "metadata", "namespace")
	labels := obj{
		"app":                         name,
		"app.kubernetes.io/name":      "knative-eventing",
		"app.kubernetes.io/component": name,
		managedByLabel:                managedByValue,
	}
	return obj{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata": obj{
			"name":      name,
			"namespace": ns,
			"labels":    labels,
			"annotations": obj{
				"knative-kafka-stand-in/note": "created by the local test cluster's stand-in for the OpenShift Serverless operator; the pods run no code",
			},
			"ownerReferences": []any{obj{
				"apiVersion":         kkGroupVersion,
				"kind":               kkKind,
				"name":               getString(kk, "metadata", "name"),
				"uid":                getString(kk, "metadata", "uid"),
				"controller":         true,
				"blockOwnerDeletion": true,
			}},
		},
		"spec": obj{
			"replicas": replicas,
			"selector": obj{"matchLabels": obj{"app": name}},
			"template": obj{
				"metadata": obj{"labels": labels},
				"spec": obj{
					"containers": []any{obj{
						"name":  name,
						"image": "example.invalid/knative-kafka-stand-in/" + name + ":fake",
					}},
				},
			},
		},
	}
}

type reconciler struct {
	c  *client
	ns string
}

func (r *reconciler) kkPath(name string) string {
	p := "/apis/" + kkGroupVersion + "/namespaces/" + url.PathEscape(r.ns) + "/" + kkResource
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}

func (r *reconciler) deployPath(name string) string {
	p := "/apis/apps/v1/namespaces/" + url.PathEscape(r.ns) + "/deployments"
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}

func (r *reconciler) reconcileAll(ctx context.Context) error {
	var list struct {
		Items []obj `json:"items"`
	}
	if err := r.c.do(ctx, http.MethodGet, r.kkPath(""), "", nil, &list); err != nil {
		return fmt.Errorf("list KnativeKafka: %w", err)
	}
	var errs []error
	for _, kk := range list.Items {
		if get(kk, "metadata", "deletionTimestamp") != nil {
			continue
		}
		if err := r.reconcile(ctx, kk); err != nil {
			errs = append(errs, fmt.Errorf("%s/%s: %w", r.ns, getString(kk, "metadata", "name"), err))
		}
	}
	return errors.Join(errs...)
}

func (r *reconciler) reconcile(ctx context.Context, kk obj) error {
	name := getString(kk, "metadata", "name")
	generation, _ := getInt(kk, "metadata", "generation")
	want := desiredReplicas(kk)

	var notReady []string
	var problems []string
	for _, dn := range haDeployments {
		var d obj
		err := r.c.do(ctx, http.MethodGet, r.deployPath(dn), "", nil, &d)
		switch {
		case isNotFound(err):
			log.Printf("%s: creating deployment %s with %d replicas", name, dn, want)
			err = r.c.do(ctx, http.MethodPost, r.deployPath("")+"?fieldManager="+fieldManager, "application/json", deploymentFor(kk, dn, want), &d)
			if err != nil {
				problems = append(problems, fmt.Sprintf("create %s: %v", dn, err))
				continue
			}
		case err != nil:
			problems = append(problems, fmt.Sprintf("get %s: %v", dn, err))
			continue
		default:
			if cur, ok := getInt(d, "spec", "replicas"); !ok || cur != want {
				log.Printf("%s: scaling deployment %s from %d to %d replicas", name, dn, cur, want)
				patch := obj{"spec": obj{"replicas": want}}
				err = r.c.do(ctx, http.MethodPatch, r.deployPath(dn)+"?fieldManager="+fieldManager, "application/merge-patch+json", patch, &d)
				if err != nil {
					problems = append(problems, fmt.Sprintf("scale %s: %v", dn, err))
					continue
				}
			}
		}
		ready, _ := getInt(d, "status", "readyReplicas")
		dGen, _ := getInt(d, "metadata", "generation")
		dObs, _ := getInt(d, "status", "observedGeneration")
		specReplicas, _ := getInt(d, "spec", "replicas")
		if specReplicas != want || dObs < dGen || ready != want {
			notReady = append(notReady, dn)
		}
	}

	installed := len(problems) == 0
	available := installed && len(notReady) == 0
	conds := []obj{}
	if installed {
		conds = append(conds, cond("InstallSucceeded", "True", "", ""))
	} else {
		conds = append(conds, cond("InstallSucceeded", "False", "Error", strings.Join(problems, "; ")))
	}
	switch {
	case available:
		conds = append(conds, cond("DeploymentsAvailable", "True", "", ""))
	case !installed:
		conds = append(conds, cond("DeploymentsAvailable", "Unknown", "NotInstalled", "The deployments could not be installed"))
	default:
		conds = append(conds, cond("DeploymentsAvailable", "False", "NotReady", "Waiting on deployments: "+strings.Join(notReady, ", ")))
	}
	switch {
	case available:
		conds = append(conds, cond("Ready", "True", "", ""))
	case !installed:
		conds = append(conds, cond("Ready", "False", "InstallFailed", strings.Join(problems, "; ")))
	default:
		conds = append(conds, cond("Ready", "False", "DeploymentsNotReady", "Waiting on deployments: "+strings.Join(notReady, ", ")))
	}
	if err := r.updateStatus(ctx, kk, generation, conds); err != nil {
		return err
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func cond(typ, status, reason, message string) obj {
	c := obj{"type": typ, "status": status}
	if reason != "" {
		c["reason"] = reason
	}
	if message != "" {
		c["message"] = message
	}
	return c
}

// updateStatus writes status only when something changed, keeping
// lastTransitionTime of conditions whose status did not change.
func (r *reconciler) updateStatus(ctx context.Context, kk obj, generation int64, conds []obj) error {
	old, _ := get(kk, "status").(map[string]any)
	oldConds := map[string]obj{}
	if old != nil {
		if list, ok := old["conditions"].([]any); ok {
			for _, c := range list {
				if m, ok := c.(map[string]any); ok {
					oldConds[getString(m, "type")] = m
				}
			}
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	changed := false
	newConds := make([]any, 0, len(conds))
	for _, c := range conds {
		prev, ok := oldConds[getString(c, "type")]
		if ok && getString(prev, "status") == getString(c, "status") && getString(prev, "lastTransitionTime") != "" {
			c["lastTransitionTime"] = prev["lastTransitionTime"]
		} else {
			c["lastTransitionTime"] = now
		}
		if !ok || !reflect.DeepEqual(stripTime(prev), stripTime(c)) {
			changed = true
		}
		newConds = append(newConds, c)
	}
	oldGen, _ := getInt(kk, "status", "observedGeneration")
	if oldGen != generation || len(oldConds) != len(conds) {
		changed = true
	}
	if !changed {
		return nil
	}
	status := obj{"observedGeneration": generation, "conditions": newConds}
	if old != nil {
		// keep fields that this stand-in does not manage
		for k, v := range old {
			if _, ok := status[k]; !ok {
				status[k] = v
			}
		}
	}
	body := obj{
		"apiVersion": kkGroupVersion,
		"kind":       kkKind,
		"metadata": obj{
			"name":            getString(kk, "metadata", "name"),
			"namespace":       r.ns,
			"resourceVersion": getString(kk, "metadata", "resourceVersion"),
		},
		"status": status,
	}
	path := r.kkPath(getString(kk, "metadata", "name")) + "/status?fieldManager=" + fieldManager
	err := r.c.do(ctx, http.MethodPatch, path, "application/merge-patch+json", body, nil)
	if isConflict(err) {
		return nil // a newer version exists: its watch event triggers another pass
	}
	if err == nil {
		ready := "Unknown"
		for _, c := range conds {
			if getString(c, "type") == "Ready" {
				ready = getString(c, "status")
			}
		}
		log.Printf("%s: status updated (observedGeneration=%d, Ready=%s)", getString(kk, "metadata", "name"), generation, ready)
	}
	return err
}

func stripTime(c obj) obj {
	out := obj{}
	for k, v := range c {
		if k != "lastTransitionTime" {
			out[k] = v
		}
	}
	return out
}

// watch streams watch events for path into trigger until ctx ends; it
// reconnects after errors and when the server closes the stream.
func (r *reconciler) watch(ctx context.Context, path string, trigger chan<- struct{}) {
	for ctx.Err() == nil {
		var list struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		err := r.c.do(ctx, http.MethodGet, path, "", nil, &list)
		if err == nil {
			poke(trigger)
			err = r.stream(ctx, path, list.Metadata.ResourceVersion, trigger)
		}
		if err != nil && ctx.Err() == nil && !isNotFound(err) {
			log.Printf("watch %s: %v (retrying)", path, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

func (r *reconciler) stream(ctx context.Context, path, rv string, trigger chan<- struct{}) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	u := r.c.server + path + sep + "watch=1&allowWatchBookmarks=false&timeoutSeconds=300&resourceVersion=" + url.QueryEscape(rv)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "knative-kafka-stand-in")
	resp, err := r.c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		return &apiError{Code: resp.StatusCode, Body: string(b)}
	}
	dec := json.NewDecoder(resp.Body)
	for {
		var ev struct {
			Type string `json:"type"`
		}
		if err := dec.Decode(&ev); err != nil {
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		if ev.Type == "ERROR" {
			return nil // e.g. resource version too old: list again
		}
		poke(trigger)
	}
}

func poke(ch chan<- struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func main() {
	server := flag.String("server", "", "API server URL, e.g. https://127.0.0.1:6443")
	caFile := flag.String("ca-file", "", "CA bundle that signed the API server's certificate")
	tokenFile := flag.String("token-file", "", "file holding this stand-in's bearer token")
	namespace := flag.String("namespace", "knative-eventing", "namespace whose KnativeKafka objects are reconciled")
	resync := flag.Duration("resync", 30*time.Second, "full reconcile interval besides watch events")
	flag.Parse()
	log.SetPrefix("knative-kafka-stand-in: ")
	log.SetFlags(log.LstdFlags | log.LUTC)
	if *server == "" || *caFile == "" || *tokenFile == "" {
		log.Fatal("-server, -ca-file and -token-file are required")
	}
	tok, err := os.ReadFile(*tokenFile)
	if err != nil {
		log.Fatal(err)
	}
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		log.Fatalf("no certificate found in %s", *caFile)
	}
	c := &client{
		server: strings.TrimRight(*server, "/"),
		token:  strings.TrimSpace(string(tok)),
		http: &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			Proxy:           nil,
		}},
	}
	r := &reconciler{c: c, ns: *namespace}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	trigger := make(chan struct{}, 1)
	go r.watch(ctx, r.kkPath(""), trigger)
	go r.watch(ctx, r.deployPath("")+"?labelSelector="+url.QueryEscape(managedByLabel+"="+managedByValue), trigger)

	log.Printf("reconciling %s in namespace %s against %s", kkKind, *namespace, c.server)
	tick := time.NewTicker(*resync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			log.Print("stopping")
			return
		case <-trigger:
		case <-tick.C:
		}
		// let a burst of events settle into one pass
		time.Sleep(200 * time.Millisecond)
		select {
		case <-trigger:
		default:
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if err := r.reconcileAll(rctx); err != nil && ctx.Err() == nil && !isNotFound(err) {
			log.Printf("reconcile: %v", err)
		}
		cancel()
	}
}
