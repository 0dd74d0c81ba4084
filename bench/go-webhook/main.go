// The reference webhook for bench/run.sh: net/http + encoding/json, the stack most Kubernetes webhooks are built on.
//
// It does what the smallest real FlinkDeployment webhook must do and nothing more: decode the whole
// AdmissionReview, decode the object's spec into typed fields (a webhook has to look at the object
// to decide anything), and answer allowed with the request's uid. No policy logic, so every figure
// measured against it is a floor for a Go webhook, not a typical one.
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"time"
)

type groupVersionKind struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

type userInfo struct {
	Username string   `json:"username"`
	UID      string   `json:"uid"`
	Groups   []string `json:"groups"`
}

// admissionRequest mirrors k8s.io/api/admission/v1.AdmissionRequest; object and oldObject stay
// raw as runtime.RawExtension keeps them, and are decoded by the handler like controller-runtime does.
type admissionRequest struct {
	UID       string           `json:"uid"`
	Kind      groupVersionKind `json:"kind"`
	Name      string           `json:"name"`
	Namespace string           `json:"namespace"`
	Operation string           `json:"operation"`
	UserInfo  userInfo         `json:"userInfo"`
	Object    json.RawMessage  `json:"object"`
	OldObject json.RawMessage  `json:"oldObject"`
	DryRun    *bool            `json:"dryRun"`
	Options   json.RawMessage  `json:"options"`
}

type admissionResponse struct {
	UID     string `json:"uid"`
	Allowed bool   `json:"allowed"`
}

type admissionReview struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Request    *admissionRequest  `json:"request,omitempty"`
	Response   *admissionResponse `json:"response,omitempty"`
}

type resources struct {
	Memory string  `json:"memory"`
	CPU    float64 `json:"cpu"`
}

type component struct {
	Replicas *int32    `json:"replicas"`
	Resource resources `json:"resource"`
}

// flinkDeployment holds the fields a memory check reads; unknown fields are skipped by the decoder.
type flinkDeployment struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		Image              string            `json:"image"`
		FlinkVersion       string            `json:"flinkVersion"`
		FlinkConfiguration map[string]string `json:"flinkConfiguration"`
		JobManager         component         `json:"jobManager"`
		TaskManager        component         `json:"taskManager"`
	} `json:"spec"`
}

// bodyLimit matches flink-memguard's: 3 MiB, the largest object kube-apiserver stores.
const bodyLimit = 3 << 20

func review(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, bodyLimit+1))
	if err != nil || len(body) > bodyLimit {
		http.Error(w, "request body unreadable or too large", http.StatusRequestEntityTooLarge)
		return
	}
	var in admissionReview
	if err := json.Unmarshal(body, &in); err != nil || in.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	var obj flinkDeployment
	if len(in.Request.Object) > 0 {
		if err := json.Unmarshal(in.Request.Object, &obj); err != nil {
			http.Error(w, "object is not a FlinkDeployment", http.StatusBadRequest)
			return
		}
	}
	out, err := json.Marshal(admissionReview{
		APIVersion: in.APIVersion,
		Kind:       "AdmissionReview",
		Response:   &admissionResponse{UID: in.Request.UID, Allowed: true},
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8443", "address to listen on")
	cert := flag.String("tls-cert", "", "PEM certificate")
	key := flag.String("tls-key", "", "PEM private key")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("/validate", review)
	mux.HandleFunc("/mutate", review)
	ok := func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }
	mux.HandleFunc("/healthz", ok)
	mux.HandleFunc("/readyz", ok)

	srv := &http.Server{
		Addr:    *listen,
		Handler: mux,
		TLSConfig: &tls.Config{
			// The same policy as flink-memguard and bench/nginx: TLS 1.2+ with ECDHE + AEAD suites.
			// Go picks TLS 1.3 suites itself (AES-128-GCM on AES hardware); they cannot be configured.
			MinVersion: tls.VersionTLS12,
			CipherSuites: []uint16{
				tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
				tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
				tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
				tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
				tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
				tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
			},
		},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       90 * time.Second,
	}
	log.Fatal(srv.ListenAndServeTLS(*cert, *key))
}
