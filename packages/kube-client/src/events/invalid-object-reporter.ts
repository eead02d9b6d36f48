import type { InvalidObjectHandler } from '../invalid-object.js';
import { type EventRecorder, EventReason } from './event-recorder.js';

/**
 * The standard reaction to a malformed object: a Warning event on it (so `kubectl describe` shows why podid ignores
 * it). Informers and CRD clients already log each occurrence; this adds the cluster-visible half.
 */
export function createInvalidObjectReporter(recorder: EventRecorder): InvalidObjectHandler {
  return (report) => {
    if (!report.name) return; // nothing to attach an event to
    recorder.warning(
      {
        apiVersion: report.apiVersion,
        kind: report.kind,
        namespace: report.namespace,
        name: report.name,
        uid: report.uid,
        resourceVersion: report.resourceVersion,
      },
      EventReason.InvalidObject,
      `ignored by podid: ${report.error.message}`,
    );
  };
}
