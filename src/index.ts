export {
  getProcessName,
  getStatus,
  getInfo,
  gracefulRestart,
  hasPendingRestart,
  clearPendingRestart,
} from './card.js';
export { runTask, beginTask, tryBeginTask, acceptsTasks, runningTasks } from './top-level-tasks.js';
export {
  installShutdownHandler,
  getLastRestart,
  on,
  exposeToPm2,
  restartWhen,
  getHealth,
} from './top-level-lifecycle.js';
export { createPm2Self, type Pm2Self } from './create-pm2-self.js';
export { getDefaultPm2Self } from './default-instance.js';
export type {
  Pm2SelfOptions,
  GracefulRestartOptions,
  ShutdownHandlerOptions,
  RestartPolicy,
} from './options.js';
export type { RestartPolicyLimits } from './policy/restart-policy.js';
export type { HealthCheck, HealthCheckLimits } from './policy/health-check.js';
export type { HealthSnapshot } from './policy/health-snapshot.js';
export { DEFAULTS, PM2_DEFAULTS } from './common/defaults.js';
export { WARNING_CODES, type WarningCode } from './common/warnings.js';
export { SUPPORTED_PM2 } from './pm2/pm2-version.js';
export {
  Pm2SelfError,
  isPm2SelfError,
  ERROR_MESSAGES,
  type Pm2SelfErrorCode,
  type Pm2SelfErrorOptions,
} from './common/errors.js';
export type { Pm2Info, SelfFacts, StoreUse } from './info/info.js';
export type { RestartSettings, SettingsOrigin, Unknown } from './pm2/restart-settings.js';
export type {
  Identity,
  ManagedIdentity,
  UnmanagedIdentity,
  NotManagedReason,
  NameSource,
} from './identity/identity.js';
export type { Relation, RelationEvidence } from './identity/relation.js';
export type { Pm2EnvProblem } from './pm2/pm2-env.js';
export type { ExecMode } from './pm2/pm2-env.js';
export type { DaemonRoute, DaemonProblem } from './daemon/daemon-query.js';
export type { ProcessListProblem } from './pm2/process-list.js';
export {
  restartMachine,
  transition,
  type RestartMachine,
  type RestartState,
  type RestartPhase,
  type RestartEvent,
  type RestartEffect,
  type Transition,
  type PendingRequest,
  type RequestKind,
  type DeadlinePolicy,
  type MachineNotice,
  type RestartFailureCause,
  type RequestOptions,
  type ShutdownRequest,
} from './restart/machine.js';
export type { RestartOutcome, TaskHandle, TaskSnapshot } from './restart/controller.js';
export {
  RESTART_EVENT_NAMES,
  HEALTH_EVENT_NAMES,
  type HealthEventName,
  type RestartEvents,
  type RestartEventName,
  type RecordOutcome,
} from './restart/events.js';
export type { ExitHook, HookContext, HookFailure } from './restart/run-hooks.js';
export type { RestartStrategy, DaemonAccess } from './restart/strategy.js';
export type { RestartRecord, RecordTarget } from './restart/restart-record.js';
export type { PlannedRestart } from './restart/plan-restart.js';
export type { RestartPlan } from './restart/strategy.js';
export type { ExposeToPm2Options, OperatorReply, OperatorRestartStatus } from './operator/operator-target.js';
export { OPERATOR_ACTIONS, OPERATOR_METRICS, type OperatorActionName } from './operator/action-protocol.js';
export type { IpcChannel } from './ports/ipc-channel.js';
export type {
  Ports,
  Clock,
  TimerHandle,
  CommandRunner,
  CommandResult,
  CommandOptions,
  CommandFailureReason,
  DaemonClient,
  FileSystem,
  StampedFile,
  StoreProblem,
  ProcessPort,
  ProcessFacts,
  ShutdownSignal,
  RpcResult,
  RpcFailureReason,
} from './ports/ports.js';
