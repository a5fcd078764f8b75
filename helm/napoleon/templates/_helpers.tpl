{{/*
Chart name, truncated to 63 characters: label values and DNS names are limited to that.
*/}}
{{- define "napoleon.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name prefix of every resource. The release name alone when it already contains the
chart name, so that `helm install napoleon` gives napoleon-gateway, not napoleon-napoleon-gateway.
Truncated to 50 so that "-<component>" suffixes (the longest, "-instruction", is 12) stay under 63.
*/}}
{{- define "napoleon.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "napoleon.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels every object carries.
*/}}
{{- define "napoleon.labels" -}}
helm.sh/chart: {{ include "napoleon.chart" . }}
{{ include "napoleon.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: napoleon
{{- end }}

{{/*
Labels that select the release's pods, whatever their component; the default-deny
NetworkPolicy selects with exactly these.
*/}}
{{- define "napoleon.selectorLabels" -}}
app.kubernetes.io/name: {{ include "napoleon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one component (a service, "migrations" or "test"). Call with
(dict "root" $ "component" "intake").
*/}}
{{- define "napoleon.componentLabels" -}}
{{ include "napoleon.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "napoleon.componentSelectorLabels" -}}
{{ include "napoleon.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
Name of a component's objects: <fullname>-<component>. Call with (dict "root" $ "component" "intake").
*/}}
{{- define "napoleon.componentName" -}}
{{- printf "%s-%s" (include "napoleon.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "napoleon.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "napoleon.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The application image, pinned by digest when one is given.
*/}}
{{- define "napoleon.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Pod-level security context. Not configurable on purpose: the image runs as 10001 and needs
nothing else, so there is no legitimate reason to weaken it per installation.
*/}}
{{- define "napoleon.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
Container-level security context; repeated from the pod level where Kubernetes allows it so
that a Pod Security admission or a policy engine checking containers alone also passes.
*/}}
{{- define "napoleon.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
secretKeyRef env entry. Call with (dict "env" "NAPOLEON__DATABASE__URL" "ref" .Values.secrets.databaseUrl).
optional: false so that a missing Secret keeps the pod Pending with a clear event instead of
starting a process without credentials.
*/}}
{{- define "napoleon.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .ref.name }}
      key: {{ .ref.key }}
      optional: false
{{- end }}

{{/*
NetworkPolicy peers for a destination given as cidrs and/or selectors
(database, otelCollector). Renders nothing when none is set.
*/}}
{{- define "napoleon.peers" -}}
{{- range .cidrs }}
- ipBlock:
    cidr: {{ . }}
{{- end }}
{{- if or .podSelector .namespaceSelector }}
- podSelector:
    {{- toYaml (default (dict) .podSelector) | nindent 4 }}
  {{- with .namespaceSelector }}
  namespaceSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
Egress to the cluster DNS, which every pod needs to resolve Service and database names.
*/}}
{{- define "napoleon.dnsEgress" -}}
- to:
    - namespaceSelector:
        {{- toYaml .Values.networkPolicy.dns.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml .Values.networkPolicy.dns.podSelector | nindent 8 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end }}

{{- define "napoleon.databaseEgress" -}}
- to:
    {{- include "napoleon.peers" .Values.networkPolicy.database | trim | nindent 4 }}
  ports:
    - protocol: TCP
      port: {{ .Values.networkPolicy.database.port }}
{{- end }}

{{/*
clamd's address for the worker: the release's own clamd Service, or the external one.
*/}}
{{- define "napoleon.clamdAddress" -}}
{{- if .Values.clamav.enabled -}}
{{- printf "%s:3310" (include "napoleon.componentName" (dict "root" . "component" "clamd")) -}}
{{- else -}}
{{- .Values.documents.clamdAddress -}}
{{- end -}}
{{- end }}

{{/*
Cross-field checks JSON Schema cannot express; called from every template that depends on them.
*/}}
{{- define "napoleon.validate" -}}
{{- range $name, $svc := .Values.services }}
{{- if gt (int $svc.minReplicas) (int $svc.maxReplicas) }}
{{- fail (printf "services.%s: minReplicas (%v) must not exceed maxReplicas (%v)" $name $svc.minReplicas $svc.maxReplicas) }}
{{- end }}
{{- end }}
{{- $db := .Values.networkPolicy.database }}
{{- if and .Values.networkPolicy.enabled (not (or $db.cidrs $db.podSelector $db.namespaceSelector)) }}
{{- fail "networkPolicy.database: set cidrs or a pod/namespace selector, or the services cannot reach PostgreSQL" }}
{{- end }}
{{- $otel := .Values.networkPolicy.otelCollector }}
{{- if and .Values.networkPolicy.enabled .Values.telemetry.enabled (not (or $otel.cidrs $otel.podSelector $otel.namespaceSelector)) }}
{{- fail "networkPolicy.otelCollector: set cidrs or a pod/namespace selector, or telemetry cannot be exported" }}
{{- end }}
{{- $s3 := .Values.documents.s3 }}
{{- if and (hasPrefix "http://" $s3.endpoint) (not $s3.allowHttp) }}
{{- fail "documents.s3.endpoint: an http:// endpoint needs documents.s3.allowHttp (pieces would cross the network in clear)" }}
{{- end }}
{{- if and (not .Values.clamav.enabled) (not .Values.documents.clamdAddress) }}
{{- fail "documents.clamdAddress: with clamav.enabled false, give the clamd the worker asks (host:port), or no piece is ever scanned" }}
{{- end }}
{{- $store := .Values.networkPolicy.objectStorage }}
{{- if and .Values.networkPolicy.enabled (not (or $store.cidrs $store.podSelector $store.namespaceSelector)) }}
{{- fail "networkPolicy.objectStorage: set cidrs or a pod/namespace selector, or intake and the worker cannot reach the pieces' bucket" }}
{{- end }}
{{- if and .Values.networkPolicy.enabled (not .Values.clamav.enabled) (not .Values.networkPolicy.externalClamd.cidrs) }}
{{- fail "networkPolicy.externalClamd.cidrs: with clamav.enabled false, the worker must reach the external clamd" }}
{{- end }}
{{- if and .Values.ingress.enabled (not (hasKey .Values.services "gateway")) }}
{{- fail "ingress.enabled needs services.gateway" }}
{{- end }}
{{- $edge := .Values.ingress.backendTls }}
{{- if $edge.enabled }}
{{- if and .Values.internalTls.enabled (eq $edge.secretName .Values.internalTls.secretName) }}
{{- fail "ingress.backendTls.secretName: the gateway's own Secret, not internalTls.secretName (the gateway must never hold the services' key)" }}
{{- end }}
{{- if or (eq $edge.caSecretName $edge.secretName) (eq $edge.caSecretName .Values.internalTls.secretName) }}
{{- fail "ingress.backendTls.caSecretName: a Secret holding ca.crt only (ingress-nginx presents a Secret's tls.crt and tls.key to the gateway as its client certificate)" }}
{{- end }}
{{- range $key, $_ := .Values.ingress.annotations }}
{{- if has $key (list "nginx.ingress.kubernetes.io/backend-protocol" "nginx.ingress.kubernetes.io/proxy-ssl-secret" "nginx.ingress.kubernetes.io/proxy-ssl-verify" "nginx.ingress.kubernetes.io/proxy-ssl-name" "nginx.ingress.kubernetes.io/proxy-ssl-server-name") }}
{{- fail (printf "ingress.annotations.%s: set by the chart with ingress.backendTls; it cannot be overridden" $key) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
freshclam's settings, for its first fetch and for the sidecar. TestDatabases no: freshclam
would load each new database in memory to test it (about 1 GiB); clamd tests what it loads.
*/}}
{{- define "napoleon.freshclamConf" -}}
Foreground yes
DatabaseDirectory /var/lib/clamav
PidFile /tmp/freshclam.pid
LogTime yes
TestDatabases no
Checks {{ .Values.clamav.freshclam.checks }}
{{- if .Values.clamav.freshclam.privateMirror }}
PrivateMirror {{ .Values.clamav.freshclam.privateMirror }}
{{- else }}
DatabaseMirror database.clamav.net
{{- end }}
{{- end }}

{{/*
The clamd pod's configuration files (the ConfigMap's data, and the pods' checksum of it).
*/}}
{{- define "napoleon.clamavConfig" -}}
clamd.conf: |
  Foreground yes
  DatabaseDirectory /var/lib/clamav
  TemporaryDirectory /tmp
  # Every address of the pod (IPv4 and IPv6): the Service and freshclam's notice reach it.
  TCPSocket 3310
  PidFile /tmp/clamd.pid
  LogTime yes
  StreamMaxLength 25M
  MaxFileSize 25M
  MaxScanSize 100M
  MaxRecursion 16
  MaxFiles 1000
  AlertExceedsMax yes
  # Below the worker's timeout (documents.clamdTimeoutSeconds): a scan past it is reported
  # as exceeding a limit (quarantined) rather than retried for ever.
  MaxScanTime {{ mul (sub .Values.documents.clamdTimeoutSeconds 1) 1000 | max 1000 }}
  # New signatures: freshclam notifies clamd; SelfCheck is the fallback.
  SelfCheck 3600
{{- /* The first fetch (init container) has no clamd to notify yet; the sidecar does. */}}
{{- $freshclam := include "napoleon.freshclamConf" . }}
freshclam-first.conf: |
  {{- $freshclam | nindent 2 }}
freshclam.conf: |
  {{- $freshclam | nindent 2 }}
  NotifyClamd /etc/napoleon-clamav/clamd.conf
{{- end }}
