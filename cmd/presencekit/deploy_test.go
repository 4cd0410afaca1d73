package main

// Tests of deploy/k8s/load-job.yaml: it decodes strictly into the
// Kubernetes API types, its numbers agree, it needs no shell (the image is
// distroless), and its exact commands, run here for every completion index
// against a loopback mock, produce shard files that merge.

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/presencekit/presencekit/loadgen"
	"github.com/presencekit/presencekit/mock"
	"github.com/presencekit/presencekit/mock/mocktest"
)

// indexVar is the variable the Job controller sets in every pod of an
// Indexed Job.
const indexVar = "JOB_COMPLETION_INDEX"

// loadManifest is what deploy/k8s/load-job.yaml declares.
type loadManifest struct {
	claim       *corev1.PersistentVolumeClaim
	load, merge *batchv1.Job
}

// readLoadManifest decodes every document of the manifest strictly (an
// unknown or misspelt field, a duplicate key, a wrong type fail) into the
// type its kind names.
func readLoadManifest(t *testing.T) loadManifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "k8s", "load-job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m loadManifest
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 PersistentVolumeClaim":
			m.claim = &corev1.PersistentVolumeClaim{}
			obj = m.claim
		case "batch/v1 Job":
			j := &batchv1.Job{}
			if m.load == nil {
				m.load = j
			} else {
				m.merge = j
			}
			obj = j
		default:
			t.Fatalf("document %d: unexpected %q %q", i, tm.APIVersion, tm.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("document %d (%s): %v", i, tm.Kind, err)
		}
	}
	if m.claim == nil || m.load == nil || m.merge == nil {
		t.Fatal("want a PersistentVolumeClaim, the load Job and the merge Job")
	}
	return m
}

// container is the Job's one container.
func container(t *testing.T, j *batchv1.Job) corev1.Container {
	t.Helper()
	if n := len(j.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("job %s: %d containers, want 1", j.Name, n)
	}
	return j.Spec.Template.Spec.Containers[0]
}

// flagValue is the value of --name=VALUE in args.
func flagValue(args []string, name string) (string, bool) {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

var kubeVar = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand does what the kubelet does to a container's args: $(NAME) becomes
// the value of the container's variable NAME; a reference to a variable
// that is not defined stays as written (it would reach the program
// verbatim, which the test must catch rather than paper over).
func expand(t *testing.T, args []string, env map[string]string) []string {
	t.Helper()
	out := make([]string, len(args))
	for i, a := range args {
		if strings.Contains(a, "$$") {
			t.Fatalf("arg %q: the $$ escape is not handled by this test", a)
		}
		out[i] = kubeVar.ReplaceAllStringFunc(a, func(ref string) string {
			if v, ok := env[kubeVar.FindStringSubmatch(ref)[1]]; ok {
				return v
			}
			t.Errorf("arg %q refers to %s, which the pod does not define", a, ref)
			return ref
		})
	}
	return out
}

func TestLoadJobManifest(t *testing.T) {
	m := readLoadManifest(t)
	load, merge := m.load.Spec, m.merge.Spec
	if load.CompletionMode == nil || *load.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("load Job: completionMode %v, want Indexed (it sets %s)", load.CompletionMode, indexVar)
	}
	if load.Completions == nil || load.Parallelism == nil || load.BackoffLimit == nil {
		t.Fatal("load Job: completions, parallelism and backoffLimit must be set")
	}
	n := int(*load.Completions)
	c := container(t, m.load)
	shard, ok := flagValue(c.Args, "shard")
	if !ok || shard != "$("+indexVar+")/"+strconv.Itoa(n) {
		t.Errorf("load Job: --shard=%q, want $(%s)/%d (completions)", shard, indexVar, n)
	}
	if int(*load.Parallelism) != n {
		t.Errorf("load Job: parallelism %d != completions %d: shards would not run side by side", *load.Parallelism, n)
	}
	if *load.BackoffLimit != 0 {
		t.Errorf("load Job: backoffLimit %d, want 0: a retried shard starts late", *load.BackoffLimit)
	}
	if merge.Suspend == nil || !*merge.Suspend {
		t.Error("merge Job: want suspend: true, resumed once the shards completed")
	}
	mc := container(t, m.merge)
	out, _ := flagValue(c.Args, "out")
	var want []string
	for i := range n {
		want = append(want, strings.ReplaceAll(out, "$("+indexVar+")", strconv.Itoa(i)))
	}
	if len(mc.Args) < 2+n || !slices.Equal(mc.Args[:2], []string{"report", "merge"}) || !slices.Equal(mc.Args[2:2+n], want) {
		t.Errorf("merge Job args %q: want report merge %q (one file per shard)", mc.Args, want)
	}
	// The image is distroless: no shell, the entrypoint is presencekit.
	for _, ct := range []corev1.Container{c, mc} {
		if len(ct.Command) > 0 {
			t.Errorf("container %s: command %q overrides the image's entrypoint (there is no shell in it)", ct.Name, ct.Command)
		}
		if ct.Image != c.Image {
			t.Errorf("container %s: image %s, want the same image as the load Job (%s)", ct.Name, ct.Image, c.Image)
		}
	}
	for _, j := range []*batchv1.Job{m.load, m.merge} {
		vols := j.Spec.Template.Spec.Volumes
		if len(vols) != 1 || vols[0].PersistentVolumeClaim == nil || vols[0].PersistentVolumeClaim.ClaimName != m.claim.Name {
			t.Errorf("job %s: volumes %+v, want the claim %s", j.Name, vols, m.claim.Name)
		}
	}
}

// podEnv is the environment the kubelet gives pod index i: the
// container's variables (secrets replaced by value) and the Job's index.
func podEnv(t *testing.T, c corev1.Container, i int, secrets map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{indexVar: strconv.Itoa(i)}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			v, ok := secrets[e.Name]
			if !ok {
				t.Fatalf("container %s: no test value for the secret in %s", c.Name, e.Name)
			}
			env[e.Name] = v
		default:
			t.Fatalf("container %s: %s comes from a source this test cannot provide", c.Name, e.Name)
		}
	}
	return env
}

// localArgs points a pod's args at this machine: the volume's mount path
// becomes dir, --target the loopback mock; extra flags (given last, so they
// win) keep the load tiny.
func localArgs(c corev1.Container, args []string, dir, target string, extra ...string) []string {
	mount := c.VolumeMounts[0].MountPath + "/"
	out := make([]string, 0, len(args)+len(extra))
	for _, a := range args {
		if strings.HasPrefix(a, "--target=") {
			a = "--target=" + target
		}
		out = append(out, strings.ReplaceAll(a, mount, dir+string(filepath.Separator)))
	}
	return append(out, extra...)
}

// environ is env as KEY=value entries for a child process.
func environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// TestLoadJobRunsLocally runs each pod of the Job, then the merge, as a
// presencekit process with the pod's environment (its secret included),
// as the cluster would.
func TestLoadJobRunsLocally(t *testing.T) {
	t.Parallel()
	m := readLoadManifest(t)
	c, mc := container(t, m.load), container(t, m.merge)
	n := int(*m.load.Spec.Completions)
	target := mocktest.Start(t, mocktest.Config(t)).URL
	dir := t.TempDir()
	secrets := map[string]string{"PRESENCE_TOKEN": mock.DefaultToken}

	var total uint64
	for i := range n {
		env := podEnv(t, c, i, secrets) // load reads PRESENCE_TOKEN from its environment
		args := localArgs(c, expand(t, c.Args, env), dir, target,
			"--users=40", "--rate=100", "--duration=1s", "--requests=60", "--setup-subs=2")
		if r := cliChild(t, environ(env), args...); r.code != exitOK {
			t.Fatalf("pod %d: presencekit %q:\n%s", i, args, r)
		}
		res, err := readResults(filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)))
		if err != nil {
			t.Fatalf("pod %d wrote no readable shard file: %v", i, err)
		}
		if want := []string{fmt.Sprintf("%d/%d", i, n)}; !slices.Equal(res.Shards, want) {
			t.Errorf("pod %d acted as shard %v, want %v", i, res.Shards, want)
		}
		s, err := loadgen.Summarize(res)
		if err != nil {
			t.Fatal(err)
		}
		total += s.All.Count
	}

	env := podEnv(t, mc, 0, secrets)
	args := localArgs(mc, expand(t, mc.Args, env), dir, target)
	// Exit 3 is a breached latency threshold: timing on a shared test
	// machine, which this test does not judge. Anything else is a failure.
	if r := cliChild(t, environ(env), args...); r.code != exitOK && r.code != exitThresholds {
		t.Fatalf("merge: presencekit %q:\n%s", args, r)
	}
	merged, err := readResults(filepath.Join(dir, "merged.json"))
	if err != nil {
		t.Fatalf("merge wrote no readable merged.json: %v", err)
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("%d/%d", i, n))
	}
	if !slices.Equal(merged.Shards, want) {
		t.Errorf("merged shards %v, want %v", merged.Shards, want)
	}
	s, err := loadgen.Summarize(merged)
	if err != nil {
		t.Fatal(err)
	}
	if s.All.Count != total || total == 0 {
		t.Errorf("merged count %d, want the shards' sum %d (> 0)", s.All.Count, total)
	}
	if fi, err := os.Stat(filepath.Join(dir, "merged.html")); err != nil || fi.Size() == 0 {
		t.Errorf("merge wrote no merged.html: %v", err)
	}
}

// The manifest runs the image the release publishes.
func TestLoadJobRunsTheReleasedImage(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot(t), ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Dockers []struct {
			Images []string `json:"images"`
			Tags   []string `json:"tags"`
		} `json:"dockers_v2"`
	}
	if err := yaml.Unmarshal(src, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Dockers) == 0 || len(cfg.Dockers[0].Images) == 0 {
		t.Fatal(".goreleaser.yaml publishes no image (dockers_v2)")
	}
	d := cfg.Dockers[0]
	if !slices.ContainsFunc(d.Tags, func(tag string) bool { return strings.Contains(tag, "latest") }) {
		t.Errorf("the release image has no latest tag: %q", d.Tags)
	}
	m := readLoadManifest(t)
	for _, j := range []*batchv1.Job{m.load, m.merge} {
		if got, want := container(t, j).Image, d.Images[0]+":latest"; got != want {
			t.Errorf("job %s runs %s, want the released %s", j.Name, got, want)
		}
	}
}
