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
  - name: tmp
    emptyDir: {}
{{- end -}}
