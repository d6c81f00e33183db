{{/* The release's object names: <release>-nacos-operator unless the release is named so. */}}
{{- define "nacos-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "nacos-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
control-plane: controller-manager
{{- end -}}

{{- define "nacos-operator.labels" -}}
{{ include "nacos-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The image reference: repository@digest, or repository:tag (appVersion by default). */}}
{{- define "nacos-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "nacos-operator.serviceAccountName" -}}
{{- include "nacos-operator.fullname" . -}}
{{- end -}}

{{/* The metrics port: 8443 for HTTPS, 8080 for HTTP. */}}
{{- define "nacos-operator.metricsPort" -}}
{{- if .Values.metrics.secure -}}8443{{- else -}}8080{{- end -}}
{{- end -}}
