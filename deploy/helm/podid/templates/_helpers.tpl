{{/*
Names follow upstream's chart, so a values file that sets nameOverride/fullnameOverride names objects the same way:
"<name>-mic" and "<name>-nmi", where <name> is nameOverride or the chart name (podid).
*/}}
{{- define "podid.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 59 | trimSuffix "-" -}}
{{- end -}}

{{/* The release-wide name: fullnameOverride, else "<release>-<name>" unless the release name already holds <name>. */}}
{{- define "podid.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 59 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 59 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 59 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "podid.mic.fullname" -}}
{{- printf "%s-mic" (include "podid.name" .) -}}
{{- end -}}

{{- define "podid.nmi.fullname" -}}
{{- printf "%s-nmi" (include "podid.name" .) -}}
{{- end -}}

{{- define "podid.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: the same set as upstream's chart, so Deployment/DaemonSet selectors keep their shape. */}}
{{- define "podid.selectors" -}}
app.kubernetes.io/name: {{ include "podid.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The labels Helm's tooling expects; tests comparing with deploy/ ignore these three. */}}
{{- define "podid.helmLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "podid.chart" . }}
{{- end -}}

{{- define "podid.labels" -}}
app.kubernetes.io/name: {{ include "podid.name" . }}
{{ include "podid.helmLabels" . }}
{{- end -}}

{{/* "true"/"false" strings and booleans alike (upstream's values use both). */}}
{{- define "podid.isTrue" -}}
{{- if eq (toString .) "true" -}}true{{- end -}}
{{- end -}}

{{/* Where MIC's election Lease lives: --leader-election-namespace, whose default is "default". */}}
{{- define "podid.mic.electionNamespace" -}}
{{- default "default" .Values.mic.leaderElection.namespace -}}
{{- end -}}

{{/* Unset means the empty string (upstream's convention); 0 and false are values. */}}
{{- define "podid.isSet" -}}
{{- if not (eq (toString .) "") -}}true{{- end -}}
{{- end -}}
