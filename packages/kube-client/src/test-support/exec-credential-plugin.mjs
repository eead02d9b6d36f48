// A client-go credential (exec) plugin for tests: prints an ExecCredential with the token in $PODID_EXEC_TOKEN and
// appends a line to $PODID_EXEC_LOG each time it runs, as kubelogin would be run for an AKS user.
import { appendFileSync } from 'node:fs';

if (process.env.PODID_EXEC_LOG) appendFileSync(process.env.PODID_EXEC_LOG, 'ran\n');
process.stdout.write(
  JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: { token: process.env.PODID_EXEC_TOKEN ?? '' },
  }),
);
