package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	nacosv1alpha1 "github.com/nacos-operator/nacos-operator/api/v1alpha1"
	"github.com/nacos-operator/nacos-operator/internal/nacos/sim"
	"github.com/nacos-operator/nacos-operator/internal/podagent"
	"github.com/nacos-operator/nacos-operator/internal/resource"
)

// memberStatus is the named member's status, or an error naming what is missing.
func memberStatus(nc *nacosv1alpha1.NacosCluster, pod string) (nacosv1alpha1.MemberStatus, error) {
	for _, m := range nc.Status.Members {
		if m.Name == pod {
			return m, nil
		}
	}
	return nacosv1alpha1.MemberStatus{}, fmt.Errorf("no member %s", pod)
}

// warningWith waits until a Warning Event with the reason and the text is recorded (the
// recorder writes Events asynchronously).
func warningWith(t *testing.T, ns, reason, text string) {
	t.Helper()
	err := pollUntil(10*time.Second, func() error {
		events := &eventsv1.EventList{}
		if err := env.Client.List(context.Background(), events, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range events.Items {
			if e.Type == corev1.EventTypeWarning && e.Reason == reason && strings.Contains(e.Note, text) {
				return nil
			}
		}
		return fmt.Errorf("no Warning Event %s with %q", reason, text)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// quiet waits until no member has a finding or evidence: the evidence is live, not sticky.
func quiet(t *testing.T, key types.NamespacedName) {
	t.Helper()
	waitForStatusWithin(t, key, 60*time.Second, func(nc *nacosv1alpha1.NacosCluster) error {
		if nc.Status.Phase != nacosv1alpha1.PhaseReady {
			return fmt.Errorf("phase %s", nc.Status.Phase)
		}
		for _, m := range nc.Status.Members {
			if len(m.Diagnosis) > 0 || m.Evidence != nil {
				return fmt.Errorf("%s still has diagnosis %+v evidence %+v", m.Name, m.Diagnosis, m.Evidence)
			}
		}
		return nil
	})
}

// sidecarReport reads a pod's evidence endpoint as the operator does, fresh.
func sidecarReport(t *testing.T, ns, pod string) (podagent.Report, string) {
	t.Helper()
	p := &corev1.Pod{}
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: pod}, p); err != nil {
		t.Fatal(err)
	}
	url := "http://" + net.JoinHostPort(p.Status.PodIP, strconv.Itoa(resource.PortEvidence)) + "/v1/evidence?fresh=true"
	resp, err := http.Get(url) //nolint:noctx // a test's one-off read
	if err != nil {
		t.Fatalf("read %s's evidence: %v", pod, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("read %s's evidence: %d %v", pod, resp.StatusCode, err)
	}
	var r podagent.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s's evidence is not a report: %v: %s", pod, err, raw)
	}
	return r, string(raw)
}

// Port 9849 dropped for one member (the seed's case): the first finding quotes what its own
// pod dialed and the line of its own log that names the peer; the status keeps both; healed,
// it all goes away.
func TestEvidenceOfADroppedClusterPort(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3)
	restartWith(t, ns, "nacos-1", sim.Faults{PeerPartition: true}, nil)
	nc := diagnosed(t, key, "nacos-1", nacosv1alpha1.DiagPodCannotReachPeer, "nacos-1 cannot reach nacos-0:9849 (timed out,")
	m, err := memberStatus(nc, "nacos-1")
	if err != nil {
		t.Fatal(err)
	}
	peer0 := "nacos-0.nacos-headless." + ns + ".svc.cluster.local:8848"
	for _, want := range []string{"nacos-2:9849 (timed out,", "from inside its pod", "its log agrees",
		`"[DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from ` + peer0 + ` failed"`, "protocol-distro.log)"} {
		if !strings.Contains(m.Diagnosis[0].Message, want) {
			t.Errorf("first finding %q lacks %q", m.Diagnosis[0].Message, want)
		}
	}
	if m.Evidence == nil || !slices.ContainsFunc(m.Evidence.Unreachable, func(d nacosv1alpha1.PeerDial) bool {
		return d.Peer == "nacos-0" && d.Port == 9849 && d.Result == "timed out"
	}) || !slices.ContainsFunc(m.Evidence.Logs, func(l nacosv1alpha1.LogEvidence) bool {
		return l.File == "protocol-distro.log" && strings.Contains(l.Message, peer0) && l.Count >= 1
	}) {
		t.Fatalf("status evidence %+v lacks the dial or the log line", m.Evidence)
	}
	// Unreachable as the operator may find them, the ports the 8848-only world misses stay named.
	if slices.ContainsFunc(m.Evidence.Unreachable, func(d nacosv1alpha1.PeerDial) bool { return d.Port == resource.PortHTTP }) {
		t.Fatalf("8848 is open between the pods, yet evidence says %+v", m.Evidence.Unreachable)
	}
	warningWith(t, ns, nacosv1alpha1.DiagPodCannotReachPeer, "nacos-1 cannot reach nacos-")
	restartWith(t, ns, "nacos-1", sim.Faults{}, nil)
	quiet(t, key)
}

// A peer's name that does not resolve in one pod (a broken cluster DNS for it) is named as
// a DNS failure while its pod has an IP; fixed, the finding goes.
func TestEvidenceOfAPeerNameThatDoesNotResolve(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3)
	if err := kubelet.HideName(ns, "nacos-2", "nacos-0", true); err != nil {
		t.Fatal(err)
	}
	nc := diagnosed(t, key, "nacos-2", nacosv1alpha1.DiagPodCannotReachPeer, "nacos-2 cannot reach nacos-0 (DNS failure,")
	m, err := memberStatus(nc, "nacos-2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Diagnosis[0].Message, "a DNS failure means the headless Service's records do not reach this pod") {
		t.Errorf("first finding %q does not explain the DNS failure", m.Diagnosis[0].Message)
	}
	if strings.Contains(m.Diagnosis[0].Message, "nacos-1:") {
		t.Errorf("first finding %q names nacos-1, which resolves", m.Diagnosis[0].Message)
	}
	for _, other := range []string{"nacos-0", "nacos-1"} {
		o, err := memberStatus(nc, other)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(o.Diagnosis, func(f nacosv1alpha1.Finding) bool { return f.Code == nacosv1alpha1.DiagPodCannotReachPeer }) {
			t.Errorf("%s, whose DNS works, is diagnosed %+v", other, o.Diagnosis)
		}
	}
	warningWith(t, ns, nacosv1alpha1.DiagPodCannotReachPeer, "(DNS failure,")
	if err := kubelet.HideName(ns, "nacos-2", "nacos-0", false); err != nil {
		t.Fatal(err)
	}
	quiet(t, key)
}

// Past the Distro window, a member's own known log lines are quoted when nothing more
// specific explains it: here Distro stuck on every peer with all ports open.
func TestEvidenceQuotesTheMembersLog(t *testing.T) {
	_, stop := runOperatorWith(t, operatorOptions{distroWindow: 5 * time.Second})
	t.Cleanup(stop)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3)
	restartWith(t, ns, "nacos-1", sim.Faults{DistroStuck: true}, nil)
	nc := diagnosed(t, key, "nacos-1", nacosv1alpha1.DiagMemberLogSays, "nacos-1 logs: \"[DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from nacos-")
	m, err := memberStatus(nc, "nacos-1")
	if err != nil {
		t.Fatal(err)
	}
	msg := m.Diagnosis[0].Message
	if n := strings.Count(msg, "protocol-distro.log"); n < 2 || n > 3 {
		t.Errorf("first finding %q quotes %d protocol-distro.log lines, want one per peer (2), at most 3", msg, n)
	}
	// The log names the cause, so the generic "nothing visible from outside" is not said.
	if slices.ContainsFunc(m.Diagnosis, func(f nacosv1alpha1.Finding) bool { return f.Code == nacosv1alpha1.DiagStillInitializing }) {
		t.Errorf("StillInitializing beside the member's own log lines: %+v", m.Diagnosis)
	}
	warningWith(t, ns, nacosv1alpha1.DiagMemberLogSays, "protocol-distro.log")
}

// The off switch: no dials, no log reading, nothing in the status; the diagnosis falls back
// to what the operator infers.
func TestEvidenceOffSwitch(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	key := sizedCluster(t, ns, 3, "diagnostics: {peerChecks: false, logs: false}")
	sts := &appsv1.StatefulSet{}
	if err := env.Client.Get(context.Background(), key, sts); err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, c := range sts.Spec.Template.Spec.InitContainers { // a native sidecar
		if c.Name == resource.ContainerWriter {
			args = c.Args
		}
	}
	if !slices.Contains(args, "--peer-checks=false") || !slices.Contains(args, "--logs=") {
		t.Fatalf("writer args %q: want --peer-checks=false and --logs=", args)
	}
	restartWith(t, ns, "nacos-1", sim.Faults{PeerPartition: true}, nil)
	nc := diagnosed(t, key, "nacos-1", nacosv1alpha1.DiagPeersUnreachable, "while the operator reaches them")
	for _, m := range nc.Status.Members {
		if m.Evidence != nil {
			t.Fatalf("%s has evidence %+v with diagnostics off", m.Name, m.Evidence)
		}
	}
	r, _ := sidecarReport(t, ns, "nacos-1")
	if r.PeerChecks || r.Logs || len(r.Peers) != 0 || len(r.LogEntries) != 0 {
		t.Fatalf("the sidecar gathers with diagnostics off: %+v", r)
	}
}

// No secret reaches the sidecar's report, the status or the Events, even when the member
// logs one on a line that starts like a known pattern.
func TestEvidenceHoldsNoSecret(t *testing.T) {
	startOperator(t)
	ns := namespace(t)
	ctx := context.Background()
	const adminPassword, dbPassword = "admin-pw-0e6b3f", "mysql-pw-91ac27"
	createCredentials(t, ns, adminPassword, dbPassword)
	key := sizedCluster(t, ns, 3, "storage: {type: mysql, mysql: {host: mysql.db, credentialsSecretRef: {name: mysql-creds}}}",
		"auth: {enabled: true, adminCredentialsSecretRef: {name: nacos-admin}}")
	restartWith(t, ns, "nacos-1", sim.Faults{DBDown: true}, func(m *sim.Member) {
		// Known patterns with a secret where no field of theirs is read.
		peer0 := "nacos-0.nacos-headless." + ns + ".svc.cluster.local:8848"
		at := time.Now().Local().Format("2006-01-02 15:04:05,000")
		leak := "\n" + at + " ERROR HikariPool-1 - Exception during pool initialization. jdbc:mysql://mysql.db:3306/nacos?user=nacos&password=" + dbPassword + "\n" +
			at + " ERROR [DISTRO-INIT] load snapshot Nacos:Naming:v2:ClientData from " + peer0 + " failed. password=" + adminPassword + "\n" +
			at + " ERROR Server check fail, please check server " + peer0 + " ,port 9849 is available , error =" + adminPassword + "\n"
		appendLog(t, m.Home(), "nacos.log", leak)
	})
	nc := diagnosed(t, key, "nacos-1", nacosv1alpha1.DiagDatabaseUnreachable, `its log says "datasource:`)
	generated := &corev1.Secret{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: resource.AuthSecretName(nc)}, generated); err != nil {
		t.Fatal(err)
	}
	secrets := []string{adminPassword, dbPassword}
	for _, v := range generated.Data {
		secrets = append(secrets, string(v))
	}
	status, _ := json.Marshal(nc.Status)
	events := &eventsv1.EventList{}
	if err := env.Client.List(ctx, events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	notes, _ := json.Marshal(events.Items)
	seen := map[string]string{"status": string(status), "events": string(notes)}
	for _, pod := range []string{"nacos-0", "nacos-1", "nacos-2"} {
		r, raw := sidecarReport(t, ns, pod)
		if pod == "nacos-1" && len(r.LogEntries) == 0 {
			t.Fatalf("nacos-1's sidecar read no known line: %s", raw)
		}
		seen[pod+"'s evidence endpoint"] = raw
	}
	for where, text := range seen {
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(text, s) {
				t.Fatalf("a secret value (%d bytes) appears in %s", len(s), where)
			}
		}
	}
}

// appendLog adds text to one of the member's log files, as the member would write it.
func appendLog(t *testing.T, home, file, text string) {
	t.Helper()
	dir := filepath.Join(home, "logs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, file), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
