/**
 * An aad-pod-identity v1.8.17 values file that sets every upstream key to a non-default value
 * (fixtures/upstream-every-key.values.yaml), rendered by the real helm and checked object by object against what
 * upstream's chart templates render for the same values. The expectations were written from reading upstream's
 * templates; where podid differs on purpose, the comment says so (the chart README's table lists every key).
 * MIC and NMI must also accept every rendered argument, with the meaning upstream gives it.
 */
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { loadMicConfig } from '../../apps/mic/src/config.js';
import { loadNmiConfig } from '../../apps/nmi/src/config.js';
import { findHelm, findObject, fixturesDir, type KubeObject, objectKeys, renderChart } from './helm-support.js';

const helm = findHelm();
if (helm === undefined) console.warn('SKIP helm upstream values: no helm v3 binary (run .ci/install-helm.sh)');
const describeWithHelm = helm === undefined ? describe.skip : describe;

const everyKeyFile = path.join(fixturesDir, 'upstream-every-key.values.yaml');
const NAMESPACE = 'identity-system';
const render = (set: string[] = []) =>
  renderChart(helm as string, { values: [everyKeyFile], set, namespace: NAMESPACE, release: 'aad-pod-identity' });
const podSpec = (workload: KubeObject) => workload.spec.template.spec;
const container = (workload: KubeObject) => podSpec(workload).containers[0];
const env = (workload: KubeObject): Record<string, unknown> =>
  Object.fromEntries(
    container(workload).env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );

// Identity objects: upstream renders them whatever the mode, labelled with the chart's labels.
function expectIdentities(objects: KubeObject[]) {
  const msi = findObject(objects, 'AzureIdentity', 'payments-msi', 'payments');
  expect(msi.metadata.labels?.['app.kubernetes.io/name']).toBe('aad-pod-identity');
  expect(msi.spec).toEqual({
    type: 0,
    clientID: '12121212-3434-5656-7878-909090909090',
    resourceID:
      '/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments',
  });
  expect(findObject(objects, 'AzureIdentityBinding', 'payments-binding', 'payments').spec).toEqual({
    azureIdentity: 'payments-msi',
    selector: 'payments',
  });
  expect(findObject(objects, 'AzureIdentity', 'reports-sp', NAMESPACE).spec).toEqual({
    type: 1,
    clientID: '23232323-4545-6767-8989-010101010101',
    tenantID: '66666666-7777-8888-9999-000000000000',
    clientPassword: { name: 'reports-sp-secret', namespace: 'reports' },
    auxiliaryTenantIDs: ['77777777-7777-7777-7777-777777777777'],
  });
  expect(findObject(objects, 'AzureIdentityBinding', 'reports-binding', NAMESPACE).spec).toEqual({
    azureIdentity: 'reports-sp',
    selector: 'reports',
  });
}

function expectNmiPod(daemonSet: KubeObject) {
  // nameOverride names it; the image is <image.repository>/<nmi.image>:<nmi.tag>
  expect(daemonSet.metadata).toMatchObject({ name: 'aad-pod-identity-nmi', namespace: NAMESPACE });
  expect(daemonSet.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 3 } });
  expect(daemonSet.spec.template.metadata.labels).toMatchObject({
    'app.kubernetes.io/name': 'aad-pod-identity',
    'app.kubernetes.io/instance': 'aad-pod-identity',
    'app.kubernetes.io/component': 'nmi',
    team: 'identity-nodes',
  });
  expect(daemonSet.spec.template.metadata.annotations).toEqual({ 'example.com/nmi': 'annotated' });
  const pod = podSpec(daemonSet);
  expect(pod).toMatchObject({
    imagePullSecrets: [{ name: 'registry-key' }],
    priorityClassName: 'system-node-critical',
    hostNetwork: true,
    nodeSelector: { 'kubernetes.io/os': 'linux', identity: 'enabled' },
    // podid adds the toleration of NMI's own start-up taint (nmi.startupTaint) before the user's
    tolerations: [
      { key: 'podid.io/nmi-not-ready', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'dedicated', operator: 'Equal', value: 'identity', effect: 'NoSchedule' },
    ],
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 1,
            preference: { matchExpressions: [{ key: 'kubernetes.azure.com/mode', operator: 'In', values: ['user'] }] },
          },
        ],
      },
    },
  });
  const nmi = container(daemonSet);
  expect(nmi.image).toBe('registry.example.com/podid/podid-nmi:0.1.0-rc.2');
  expect(nmi.imagePullPolicy).toBe('Always');
  expect(nmi.resources).toEqual({ limits: { cpu: '300m', memory: '768Mi' }, requests: { cpu: '60m', memory: '96Mi' } });
  expect(nmi.livenessProbe.httpGet.port).toBe(8086);
  expect(nmi.ports).toContainEqual({ name: 'metrics', containerPort: 9091 });
  expect(nmi.volumeMounts).toContainEqual({
    name: 'kubelet-config',
    mountPath: '/etc/kubernetes/kubelet-defaults',
    readOnly: true,
  });
  expect(pod.volumes).toContainEqual({
    name: 'kubelet-config',
    hostPath: { path: '/etc/kubernetes/kubelet-defaults', type: 'FileOrCreate' },
  });
}

function nmiConfig(daemonSet: KubeObject) {
  const argv = (container(daemonSet).args as string[]).map((arg) => arg.replace('$(NODE_NAME)', 'aks-node-0'));
  const plain = Object.fromEntries(Object.entries(env(daemonSet)).filter(([, v]) => typeof v === 'string')) as Record<
    string,
    string
  >;
  const outcome = loadNmiConfig({ argv, env: plain });
  if (outcome.kind !== 'ok') throw new Error(`NMI refuses the chart's arguments: ${JSON.stringify(outcome)}`);
  return outcome.config;
}

describeWithHelm('every upstream v1.8.17 values key, as upstream renders it', () => {
  describe('as written: managed mode, rbac.enabled=false', () => {
    let objects: KubeObject[];
    beforeAll(async () => {
      objects = await render();
    });

    test('the objects upstream renders: the NMI DaemonSet, the MIC PodDisruptionBudget, two identities and bindings', () => {
      // managed: no MIC, no MIC Secret; rbac.enabled=false: no ServiceAccounts or roles (createUserFacingClusterRoles
      // needs rbac.enabled); installMICException=false: no exceptions.
      expect(objectKeys(objects)).toEqual(
        [
          `DaemonSet/${NAMESPACE}/aad-pod-identity-nmi`,
          `PodDisruptionBudget/${NAMESPACE}/mic-pdb`,
          'AzureIdentity/payments/payments-msi',
          'AzureIdentityBinding/payments/payments-binding',
          `AzureIdentity/${NAMESPACE}/reports-sp`,
          `AzureIdentityBinding/${NAMESPACE}/reports-binding`,
        ].sort(),
      );
    });

    test('NMI DaemonSet: every nmi.* key in the pod, and NMI takes each flag with its meaning', () => {
      const daemonSet = findObject(objects, 'DaemonSet', 'aad-pod-identity-nmi');
      expectNmiPod(daemonSet);
      expect(podSpec(daemonSet).serviceAccountName).toBeUndefined();
      const args = container(daemonSet).args as string[];
      // The flags upstream's template renders for these values (order aside).
      expect([...args].sort()).toEqual(
        [
          '--node=$(NODE_NAME)',
          '--http-probe-port=8086',
          '--ipt-update-interval-sec=30',
          '--MICNamespace=identity-system',
          '--retry-attempts-for-created=20',
          '--retry-attempts-for-assigned=6',
          '--find-identity-retry-interval=3',
          '--enableScaleFeatures=false',
          '--prometheus-port=9091',
          '--block-instance-metadata=true',
          '--metadata-header-required=false',
          '--log-format=json',
          '-v=5',
          '--operation-mode=managed',
          '--forceNamespaced',
          '--allow-network-plugin-kubenet=true',
          '--kubelet-config=/etc/kubernetes/kubelet-defaults',
          '--custom-user-agent=migration-test/1.0',
          '--set-retry-after-header=true',
          '--enable-conntrack-deletion=true',
        ].sort(),
      );
      const config = nmiConfig(daemonSet);
      expect(config).toMatchObject({
        operationMode: 'managed',
        namespaced: true,
        micNamespace: 'identity-system',
        httpProbePort: 8086,
        prometheusPort: 9091,
        blockInstanceMetadata: true,
        metadataHeaderRequired: false,
        setRetryAfterHeader: true,
        logFormat: 'json',
        logVerbosity: 5,
        customUserAgent: 'migration-test/1.0',
      });
      expect(config.iptables).toMatchObject({
        updateIntervalMs: 30_000,
        conntrackDeletion: true,
        allowKubenet: true,
        kubeletConfigPath: '/etc/kubernetes/kubelet-defaults',
      });
      expect(config.lookup).toEqual({
        retryAttemptsForCreated: 20,
        retryAttemptsForAssigned: 6,
        retryIntervalMs: 3000,
        watchOnlyThisNode: false,
      });
    });

    test('mic.podDisruptionBudget: upstream renders mic-pdb with minAvailable', () => {
      const pdb = findObject(objects, 'PodDisruptionBudget', 'mic-pdb', NAMESPACE);
      expect(pdb.apiVersion).toBe('policy/v1');
      expect(pdb.spec.minAvailable).toBe(1);
      // podid selects this release's MIC pods (upstream: any pod labelled component=mic)
      expect(pdb.spec.selector.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'mic' });
    });

    test('azureIdentities: both entries, names and namespaces defaulted as upstream does', () =>
      expectIdentities(objects));
  });

  describe('with operationMode=standard and rbac.enabled=true (so the mic.* and rbac.* keys have objects)', () => {
    let objects: KubeObject[];
    beforeAll(async () => {
      objects = await render(['operationMode=standard', 'rbac.enabled=true']);
    });

    test("the objects upstream renders, plus podid's Role/RoleBinding for the election Lease", () => {
      expect(objectKeys(objects)).toEqual(
        [
          `ServiceAccount/${NAMESPACE}/aad-pod-identity-mic`,
          `ServiceAccount/${NAMESPACE}/aad-pod-identity-nmi`,
          'ClusterRole//aad-pod-identity-mic',
          'ClusterRole//aad-pod-identity-nmi',
          'ClusterRoleBinding//aad-pod-identity-mic',
          'ClusterRoleBinding//aad-pod-identity-nmi',
          // fullnameOverride names the user-facing roles
          'ClusterRole//pod-identity-full-view',
          'ClusterRole//pod-identity-full-edit',
          `Secret/${NAMESPACE}/aad-pod-identity-mic`,
          `Deployment/${NAMESPACE}/aad-pod-identity-mic`,
          `DaemonSet/${NAMESPACE}/aad-pod-identity-nmi`,
          `PodDisruptionBudget/${NAMESPACE}/mic-pdb`,
          // podid: MIC elects a leader with a Lease in mic.leaderElection.namespace (here the release namespace)
          `Role/${NAMESPACE}/aad-pod-identity-mic`,
          `RoleBinding/${NAMESPACE}/aad-pod-identity-mic`,
          'AzureIdentity/payments/payments-msi',
          'AzureIdentityBinding/payments/payments-binding',
          `AzureIdentity/${NAMESPACE}/reports-sp`,
          `AzureIdentityBinding/${NAMESPACE}/reports-binding`,
        ].sort(),
      );
      expectIdentities(objects);
    });

    test('adminsecret: the Secret holds every key, base64-encoded, useMSI included', () => {
      const secret = findObject(objects, 'Secret', 'aad-pod-identity-mic', NAMESPACE);
      const decoded = Object.fromEntries(
        Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
      );
      expect(decoded).toEqual({
        Cloud: 'AzureUSGovernmentCloud',
        SubscriptionID: '11111111-2222-3333-4444-555555555555',
        ResourceGroup: 'MC_nodes_rg',
        VMType: 'vmss',
        TenantID: '66666666-7777-8888-9999-000000000000',
        ClientID: 'msi',
        ClientSecret: 'msi',
        UseMSI: 'true',
        UserAssignedMSIClientID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
      });
    });

    test('MIC Deployment: every mic.* key in the pod, and MIC takes each flag with its meaning', () => {
      const deployment = findObject(objects, 'Deployment', 'aad-pod-identity-mic', NAMESPACE);
      expect(deployment.spec.replicas).toBe(3);
      expect(deployment.spec.template.metadata.labels).toMatchObject({ team: 'identity' });
      expect(deployment.spec.template.metadata.annotations).toMatchObject({ 'example.com/mic': 'annotated' });
      expect(podSpec(deployment)).toMatchObject({
        serviceAccountName: 'aad-pod-identity-mic',
        imagePullSecrets: [{ name: 'registry-key' }],
        priorityClassName: 'system-cluster-critical',
        nodeSelector: { 'kubernetes.io/os': 'linux', agentpool: 'system' },
        tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'kubernetes.azure.com/mode', operator: 'In', values: ['system'] }] },
              ],
            },
          },
        },
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'mic' } },
          },
        ],
      });
      const mic = container(deployment);
      expect(mic.image).toBe('registry.example.com/podid/podid-mic:0.1.0-rc.1');
      expect(mic.imagePullPolicy).toBe('Always');
      expect(mic.resources).toEqual({
        limits: { cpu: '400m', memory: '2Gi' },
        requests: { cpu: '50m', memory: '128Mi' },
      });
      expect(mic.ports).toContainEqual({ name: 'metrics', containerPort: 8889 });
      expect(mic.ports).toContainEqual({ name: 'probe', containerPort: 8081 });
      // adminsecret set: no --cloudconfig and no cloud config mount; customCloud mounts its file and names it
      expect([...(mic.args as string[])].sort()).toEqual(
        [
          '--log-format=json',
          '-v=4',
          '--leader-election-instance=mic-instance',
          '--leader-election-namespace=identity-system',
          '--leader-election-name=mic-election',
          '--leader-election-duration=30s',
          '--http-probe-port=8081',
          '--createDeleteBatch=10',
          '--clientQps=7',
          '--immutable-user-msis=00000000-0000-0000-0000-000000000001,00000000-0000-0000-0000-000000000002',
          '--prometheus-port=8889',
          '--syncRetryDuration=30m',
          '--update-user-msi-max-retry=3',
          '--update-user-msi-retry-interval=2s',
          '--identity-assignment-reconcile-interval=5m',
          '--custom-user-agent=migration-test/1.0',
        ].sort(),
      );
      const variables = env(deployment);
      expect(variables['FORCENAMESPACED']).toBe('true');
      expect(variables['AZURE_ENVIRONMENT_FILEPATH']).toBe('/etc/kubernetes/stack.json');
      for (const [name, key] of Object.entries({
        CLOUD: 'Cloud',
        SUBSCRIPTION_ID: 'SubscriptionID',
        RESOURCE_GROUP: 'ResourceGroup',
        VM_TYPE: 'VMType',
        TENANT_ID: 'TenantID',
        CLIENT_ID: 'ClientID',
        CLIENT_SECRET: 'ClientSecret',
        USE_MSI: 'UseMSI',
        USER_ASSIGNED_MSI_CLIENT_ID: 'UserAssignedMSIClientID',
      }))
        expect([name, variables[name]]).toEqual([name, { secretKeyRef: { name: 'aad-pod-identity-mic', key } }]);
      expect(mic.volumeMounts).toEqual([
        { name: 'custom-cloud', mountPath: '/etc/kubernetes/stack.json', readOnly: true },
      ]);
      expect(podSpec(deployment).volumes).toEqual([
        { name: 'custom-cloud', hostPath: { path: '/etc/kubernetes/stack.json', type: 'File' } },
      ]);

      const outcome = loadMicConfig({
        argv: mic.args,
        env: { MIC_POD_NAMESPACE: NAMESPACE, FORCENAMESPACED: 'true' },
        hostname: 'mic-pod-0',
      });
      if (outcome.kind !== 'ok') throw new Error(`MIC refuses the chart's arguments: ${JSON.stringify(outcome)}`);
      expect(outcome.config).toMatchObject({
        namespaced: true,
        syncRetryIntervalMs: 30 * 60_000,
        leaderElection: {
          instance: 'mic-instance',
          namespace: 'identity-system',
          name: 'mic-election',
          leaseDurationMs: 30_000,
        },
        httpProbePort: 8081,
        prometheusPort: 8889,
        createDeleteBatch: 10,
        clientQps: 7,
        immutableClientIds: ['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002'],
        updateUserMsi: { maxRetry: 3, retryIntervalMs: 2000 },
        identityReconcileIntervalMs: 5 * 60_000,
        logFormat: 'json',
        logVerbosity: 4,
        customUserAgent: 'migration-test/1.0',
      });
    });

    test('NMI in standard mode: --operation-mode=standard, FORCENAMESPACED from forceNamespaced', () => {
      const daemonSet = findObject(objects, 'DaemonSet', 'aad-pod-identity-nmi', NAMESPACE);
      expectNmiPod(daemonSet);
      expect(podSpec(daemonSet).serviceAccountName).toBe('aad-pod-identity-nmi');
      expect(env(daemonSet)['FORCENAMESPACED']).toBe('true');
      expect(container(daemonSet).args).not.toContain('--forceNamespaced');
      expect(nmiConfig(daemonSet)).toMatchObject({ operationMode: 'standard', namespaced: true });
    });

    test('rbac.allowAccessToSecrets=false: NMI may not read Secrets; createUserFacingClusterRoles: view and edit', () => {
      const nmiRole = findObject(objects, 'ClusterRole', 'aad-pod-identity-nmi');
      expect(nmiRole.rules.flatMap((rule: { resources: string[] }) => rule.resources)).not.toContain('secrets');
      const view = findObject(objects, 'ClusterRole', 'pod-identity-full-view');
      expect(view.metadata.labels).toMatchObject({
        'rbac.authorization.k8s.io/aggregate-to-view': 'true',
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
      });
      expect(view.rules[0].resources).toContain('azureassignedidentities');
      expect(view.rules[0].verbs).toEqual(['get', 'list', 'watch']);
      const edit = findObject(objects, 'ClusterRole', 'pod-identity-full-edit');
      expect(edit.metadata.labels).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' });
      expect(edit.rules[0].verbs).toEqual(['create', 'delete', 'deletecollection', 'patch', 'update']);
      const bindings = ['aad-pod-identity-mic', 'aad-pod-identity-nmi'].map((name) =>
        findObject(objects, 'ClusterRoleBinding', name),
      );
      for (const binding of bindings)
        expect(binding.subjects).toEqual([
          { kind: 'ServiceAccount', name: binding.metadata.name, namespace: NAMESPACE },
        ]);
    });

    test('mic.cloudConfig (when adminsecret is empty): the --cloudconfig path, mounted from the node', async () => {
      const withoutSecret = await render(['operationMode=standard', 'rbac.enabled=true', 'adminsecret=null']);
      const deployment = findObject(withoutSecret, 'Deployment', 'aad-pod-identity-mic');
      expect(container(deployment).args).toContain('--cloudconfig=/etc/kubernetes/custom-azure.json');
      expect(podSpec(deployment).volumes).toContainEqual({
        name: 'cloud-config',
        hostPath: { path: '/etc/kubernetes/custom-azure.json', type: 'File' },
      });
      expect(withoutSecret.filter((o) => o.kind === 'Secret')).toEqual([]);
    });
  });
});
