{{/* Names, labels and the small decisions several templates share. */}}

{{- define "flink-memguard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "flink-memguard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "flink-memguard.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "flink-memguard.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "flink-memguard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "flink-memguard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "flink-memguard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flink-memguard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The auditor's pods: a name of their own, so nothing that selects the webhook's pods selects them. */}}
{{- define "flink-memguard.auditSelectorLabels" -}}
app.kubernetes.io/name: {{ include "flink-memguard.name" . }}-audit
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "flink-memguard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "flink-memguard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name must name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the pods mount: the chart's own, or the user's in tls.mode=secret. */}}
{{- define "flink-memguard.tlsSecretName" -}}
{{- if eq .Values.tls.mode "secret" }}
{{- required "tls.existingSecret must name a kubernetes.io/tls Secret when tls.mode is secret" .Values.tls.existingSecret }}
{{- else }}
{{- printf "%s-tls" (include "flink-memguard.fullname" .) }}
{{- end }}
{{- end }}

{{- define "flink-memguard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* "true" when matchConditions are rendered: forced by the value, or auto on 1.28+ where the
     AdmissionWebhookMatchConditions feature is on by default (GA in 1.30). */}}
{{- define "flink-memguard.matchConditions" -}}
{{- $mc := .Values.webhook.matchConditions }}
{{- if eq (toString $mc) "auto" }}
{{- semverCompare ">=1.28.0-0" .Capabilities.KubeVersion.Version | toString }}
{{- else }}
{{- $mc | toString }}
{{- end }}
{{- end }}

{{/* Namespaces the webhooks never see: the configured list plus, always, the release's own. */}}
{{- define "flink-memguard.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      {{- range (append .Values.webhook.excludeNamespaces .Release.Namespace | uniq) }}
      - {{ . | quote }}
      {{- end }}
  {{- with .Values.webhook.ignoreNamespaceLabel }}
  - key: {{ . | quote }}
    operator: DoesNotExist
  {{- end }}
{{- end }}

{{/* clientConfig of one webhook; $path is /validate or /mutate. caBundle only where Helm knows it.
     webhook.url points the API server at a server outside the cluster instead of the Service. */}}
{{- define "flink-memguard.clientConfig" -}}
{{- $root := index . 0 }}
{{- $path := index . 1 }}
{{- $caBundle := index . 2 -}}
clientConfig:
  {{- with $root.Values.webhook.url }}
  url: {{ printf "%s%s" (trimSuffix "/" .) $path | quote }}
  {{- else }}
  service:
    name: {{ include "flink-memguard.fullname" $root }}
    namespace: {{ $root.Release.Namespace }}
    path: {{ $path }}
    port: {{ $root.Values.service.port }}
  {{- end }}
  {{- if $caBundle }}
  caBundle: {{ $caBundle | b64enc }}
  {{- end }}
{{- end }}

{{/* Conditions shared by every webhook: objects being deleted are only ever finalizer and status
     bookkeeping (the Flink operator removes its finalizer with an UPDATE); blocking them leaves
     objects stuck Terminating. */}}
{{- define "flink-memguard.skipDeleting" -}}
- name: skip-objects-being-deleted
  expression: "!has(object.metadata.deletionTimestamp)"
{{- end }}

{{/* FlinkDeployment rules and conditions (validating and mutating alike). */}}
{{- define "flink-memguard.flinkDeploymentMatch" -}}
rules:
  - apiGroups: ["flink.apache.org"]
    apiVersions: ["*"]
    operations: ["CREATE", "UPDATE"]
    resources: ["flinkdeployments"]
    scope: Namespaced
matchPolicy: Equivalent
namespaceSelector:
  {{- include "flink-memguard.namespaceSelector" . | nindent 2 }}
{{- if eq (include "flink-memguard.matchConditions" .) "true" }}
matchConditions:
  {{- include "flink-memguard.skipDeleting" . | nindent 2 }}
  # The operator rewrites status and metadata constantly; only a changed spec can change memory.
  - name: skip-unchanged-spec
    expression: "request.operation != 'UPDATE' || !has(object.spec) || !has(oldObject.spec) || object.spec != oldObject.spec"
{{- end }}
{{- end }}

{{/* ConfigMap rules: HA ConfigMaps (leader election, checkpoint pointers, written every few
     seconds by Flink) are kept away by the objectSelector; matchConditions also drop every
     ConfigMap that holds no Flink configuration key (kube-root-ca.crt and the like). */}}
{{- define "flink-memguard.configMapMatch" -}}
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["configmaps"]
    scope: Namespaced
matchPolicy: Equivalent
namespaceSelector:
  {{- include "flink-memguard.namespaceSelector" . | nindent 2 }}
objectSelector:
  matchExpressions:
    - key: configmap-type
      operator: NotIn
      values: ["high-availability"]
{{- if eq (include "flink-memguard.matchConditions" .) "true" }}
{{- $keys := list }}
{{- range .Values.webhook.configMaps.flinkConfigKeys }}
{{- $keys = append $keys (printf "'%s' in object.data" .) }}
{{- end }}
matchConditions:
  {{- include "flink-memguard.skipDeleting" . | nindent 2 }}
  - name: only-flink-configuration
    expression: {{ printf "has(object.data) && (%s)" (join " || " $keys) | quote }}
  - name: skip-unchanged-data
    expression: "request.operation != 'UPDATE' || !has(oldObject.data) || object.data != oldObject.data"
{{- end }}
{{- end }}

{{/* Workload rules (webhook.workloads.enabled). Pods only on CREATE: their UPDATEs are label and
     annotation churn from controllers, and resources change through the resize subresource. */}}
{{- define "flink-memguard.workloadMatch" -}}
rules:
  - apiGroups: ["apps"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["deployments", "statefulsets"]
    scope: Namespaced
  - apiGroups: ["batch"]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["jobs"]
    scope: Namespaced
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE"]
    resources: ["pods"]
    scope: Namespaced
matchPolicy: Equivalent
namespaceSelector:
  {{- include "flink-memguard.namespaceSelector" . | nindent 2 }}
{{- with .Values.webhook.workloads.objectSelector }}
objectSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if eq (include "flink-memguard.matchConditions" .) "true" }}
matchConditions:
  {{- include "flink-memguard.skipDeleting" . | nindent 2 }}
  - name: skip-unchanged-spec
    expression: "request.operation != 'UPDATE' || !has(object.spec) || !has(oldObject.spec) || object.spec != oldObject.spec"
{{- end }}
{{- end }}
