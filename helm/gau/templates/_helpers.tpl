{{/* The six apps Gau knows (gau.config.APP_NAMES). */}}
{{- define "gau.knownApps" -}}
account authz cdn upload kanban email
{{- end -}}

{{- define "gau.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gau.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of a component's Deployment and Service: <fullname>-<component>. Args: (list $ "name"). */}}
{{- define "gau.componentName" -}}
{{- $root := index . 0 -}}
{{- printf "%s-%s" (include "gau.fullname" $root) (index . 1) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gau.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "gau.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels for one role. Args: (list $ "component-or-role"). */}}
{{- define "gau.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "gau.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "gau.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
Which enabled component serves each app, as YAML {app: component}. Fails the render when an app is
unknown, served by two enabled components, or by none.
*/}}
{{- define "gau.appOwners" -}}
{{- $known := splitList " " (include "gau.knownApps" .) -}}
{{- $owners := dict -}}
{{- range $name, $component := .Values.components -}}
{{- if and $component $component.enabled -}}
{{- if not $component.apps -}}
{{- fail (printf "components.%s: enabled but lists no apps" $name) -}}
{{- end -}}
{{- range $app := $component.apps -}}
{{- if not (has $app $known) -}}
{{- fail (printf "components.%s.apps: unknown app %q (known: %s)" $name $app (join ", " $known)) -}}
{{- end -}}
{{- if hasKey $owners $app -}}
{{- fail (printf "app %q is served by two components: %s and %s" $app (get $owners $app) $name) -}}
{{- end -}}
{{- $_ := set $owners $app $name -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $app := $known -}}
{{- if not (hasKey $owners $app) -}}
{{- fail (printf "app %q is served by no enabled component" $app) -}}
{{- end -}}
{{- end -}}
{{- toYaml $owners -}}
{{- end -}}

{{/* Names of the enabled components, sorted, space separated. */}}
{{- define "gau.enabledComponents" -}}
{{- $names := list -}}
{{- range $name, $component := .Values.components -}}
{{- if and $component $component.enabled -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}
{{- join " " (sortAlpha $names) -}}
{{- end -}}

{{/* Fails unless the named component exists and is enabled. Args: (list $ "name" "where"). */}}
{{- define "gau.requireComponent" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $component := get $root.Values.components $name -}}
{{- if not (and $component $component.enabled) -}}
{{- fail (printf "%s: component %q is not defined or not enabled" (index . 2) $name) -}}
{{- end -}}
{{- end -}}

{{/*
GAU_SERVICE_URLS for a component: every app served by another enabled component, at that
component's in-cluster Service. Args: (list $ "component").
*/}}
{{- define "gau.serviceUrls" -}}
{{- $root := index . 0 -}}
{{- $self := index . 1 -}}
{{- $owners := fromYaml (include "gau.appOwners" $root) -}}
{{- $urls := list -}}
{{- range $app := splitList " " (include "gau.knownApps" $root) -}}
{{- $owner := get $owners $app -}}
{{- if ne $owner $self -}}
{{- $urls = append $urls (printf "%s=http://%s:%v" $app (include "gau.componentName" (list $root $owner)) $root.Values.port) -}}
{{- end -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}

{{/* ALLOWED_HOSTS: public hosts, localhost (probes), and each component's Service names (internal calls). */}}
{{- define "gau.allowedHosts" -}}
{{- $root := . -}}
{{- $hosts := concat (.Values.allowedHosts | default list) (list "localhost" "127.0.0.1") -}}
{{- range $name := splitList " " (include "gau.enabledComponents" .) -}}
{{- $svc := include "gau.componentName" (list $root $name) -}}
{{- $hosts = concat $hosts (list $svc (printf "%s.%s.svc" $svc $root.Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc $root.Release.Namespace)) -}}
{{- end -}}
{{- join "," (uniq $hosts) -}}
{{- end -}}

{{/*
Environment of a Gau container running as (or on behalf of) a component. Args: (list $ "component").
The shared config comes from the ConfigMap unless "inline" is passed as a third argument (for the
migration hook, which runs before the release's ConfigMap exists).
*/}}
{{- define "gau.env" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $inline := and (gt (len .) 2) (eq (index . 2) "inline") -}}
{{- $component := get $root.Values.components $name -}}
envFrom:
  {{- if not $inline }}
  - configMapRef:
      name: {{ include "gau.fullname" $root }}-config
  {{- end }}
  - secretRef:
      name: {{ required "existingSecret: name the Secret holding SECRET_KEY, DATABASE_URL, ..." $root.Values.existingSecret }}
env:
  {{- if $inline }}
  {{- range $key, $value := $root.Values.config }}
  - name: {{ $key }}
    value: {{ $value | toString | quote }}
  {{- end }}
  - name: ALLOWED_HOSTS
    value: {{ include "gau.allowedHosts" $root | quote }}
  {{- end }}
  - name: PORT
    value: {{ $root.Values.port | quote }}
  - name: GAU_SERVED_APPS
    value: {{ join "," $component.apps | quote }}
  - name: GAU_SERVICE_URLS
    value: {{ include "gau.serviceUrls" (list $root $name) | quote }}
  {{- with $root.Values.metrics }}
  {{- if .enabled }}
  - name: GAU_METRICS
    value: "true"
  - name: GAU_METRICS_WORKER_PORT
    value: {{ .workerPort | quote }}
  - name: PROMETHEUS_MULTIPROC_DIR
    value: {{ .multiprocDir | quote }}
  {{- end }}
  {{- end }}
  {{- range $key, $value := $component.env }}
  - name: {{ $key }}
    value: {{ $value | toString | quote }}
  {{- end }}
{{- end -}}

{{/* Pod-level settings shared by every Gau pod. */}}
{{- define "gau.podCommon" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  {{- range $name, $path := fromYaml (include "gau.writablePaths" .) }}
  {{- $volume := get $.Values.writableVolumes $name | default dict }}
  - name: {{ $name }}
    emptyDir:
      {{- with $volume.medium }}
      medium: {{ . }}
      {{- end }}
      {{- with $volume.sizeLimit }}
      sizeLimit: {{ . }}
      {{- end }}
  {{- end }}
{{- end -}}

{{/*
The paths a Gau container writes, as YAML {volume: mountPath}: the root filesystem is read-only and
each of these is an emptyDir. They are the Dockerfile's VOLUME list (tests/test_chart_image.py).
*/}}
{{- define "gau.writablePaths" -}}
tmp: /tmp
media: /app/var/media
prometheus: /app/var/prometheus
{{- end -}}

{{/* volumeMounts of every Gau container: the writable paths. */}}
{{- define "gau.volumeMounts" -}}
volumeMounts:
  {{- range $name, $path := fromYaml (include "gau.writablePaths" .) }}
  - name: {{ $name }}
    mountPath: {{ $path }}
  {{- end }}
{{- end -}}

{{/*
A component's effective autoscaling settings: the top-level `autoscaling` with the component's own keys
over it, as YAML. Args: (list $ "component").
*/}}
{{- define "gau.autoscaling" -}}
{{- $root := index . 0 -}}
{{- $component := get $root.Values.components (index . 1) -}}
{{- toYaml (mergeOverwrite (deepCopy $root.Values.autoscaling) ($component.autoscaling | default dict)) -}}
{{- end -}}

{{/*
A HorizontalPodAutoscaler (autoscaling/v2) for a Deployment. Args: (list $ "deployment-name" "role" settings
resources "where"). Fails when it would scale on CPU (or memory) without a request to measure against.
*/}}
{{- define "gau.hpa" -}}
{{- $root := index . 0 -}}
{{- $target := index . 1 -}}
{{- $role := index . 2 -}}
{{- $hpa := index . 3 -}}
{{- $resources := index . 4 | default dict -}}
{{- $where := index . 5 -}}
{{- $requests := $resources.requests | default dict -}}
{{- if gt (int $hpa.minReplicas) (int $hpa.maxReplicas) -}}
{{- fail (printf "%s.autoscaling: minReplicas %v is above maxReplicas %v" $where $hpa.minReplicas $hpa.maxReplicas) -}}
{{- end -}}
{{- if not (or $hpa.targetCPUUtilizationPercentage $hpa.targetMemoryUtilizationPercentage) -}}
{{- fail (printf "%s.autoscaling: set targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" $where) -}}
{{- end -}}
{{- if and $hpa.targetCPUUtilizationPercentage (not $requests.cpu) -}}
{{- fail (printf "%s: autoscaling on CPU needs resources.requests.cpu" $where) -}}
{{- end -}}
{{- if and $hpa.targetMemoryUtilizationPercentage (not $requests.memory) -}}
{{- fail (printf "%s: autoscaling on memory needs resources.requests.memory" $where) -}}
{{- end -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ $target }}
  labels:
    {{- include "gau.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $role }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $target }}
  minReplicas: {{ $hpa.minReplicas }}
  maxReplicas: {{ $hpa.maxReplicas }}
  metrics:
    {{- with $hpa.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: {{ . }}}
    {{- end }}
    {{- with $hpa.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target: {type: Utilization, averageUtilization: {{ . }}}
    {{- end }}
  {{- with $hpa.behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/*
A PodDisruptionBudget for a role's pods when `enabled` is true, or "auto" and the minimum replica count is
above 1. Args: (list $ "name" "role" settings minReplicas).
*/}}
{{- define "gau.pdb" -}}
{{- $root := index . 0 -}}
{{- $pdb := index . 3 -}}
{{- $min := int (index . 4) -}}
{{- $enabled := $pdb.enabled -}}
{{- if or (eq (toString $enabled) "true") (and (eq (toString $enabled) "auto") (gt $min 1)) }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ index . 1 }}
  labels:
    {{- include "gau.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ index . 2 }}
spec:
  {{- if hasKey $pdb "minAvailable" }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "gau.selectorLabels" (list $root (index . 2)) | nindent 6 }}
{{- end }}
{{- end -}}

{{/* topologySpreadConstraints for a role's pods, each selecting that role's pods. Args: (list $ "role"). */}}
{{- define "gau.topologySpread" -}}
{{- $root := index . 0 -}}
{{- $role := index . 1 -}}
{{- with $root.Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  - {{- toYaml . | nindent 4 }}
    labelSelector:
      matchLabels:
        {{- include "gau.selectorLabels" (list $root $role) | nindent 8 }}
  {{- end }}
{{- end }}
{{- end -}}
