import type { CommandName } from './parse-args.js';

const MAIN = `pm2-self: graceful restarts of pm2 apps, from the shell

Usage: pm2-self <command> [options]

Commands:
  status [app]       the apps of the pm2 daemon, and for each app that called
                     exposeToPm2(): its restart state, running tasks and the
                     reason of its last restart
  restart <target>   asks each instance to restart when its tasks are done,
                     one at a time, and waits until each is back online
  cancel <target>    drops a restart that is still waiting for tasks

A target is an app name, a namespace, a pm_id, or "all".

Every command talks to the running daemon of PM2_HOME (OVER_HOME, PM2_HOME,
then ~/.pm2, as pm2 resolves it; --pm2-home <dir> to choose another) and
never starts one. Apps take part by calling exposeToPm2() at start-up.

Exit codes: 0 done; 1 an instance refused, was cancelled, did not reply or
did not come back (each is named); 2 a usage error, an unknown app, or no
daemon.

Run "pm2-self <command> --help" for a command's options, "pm2-self --version"
(or -v) for the installed version.`;

const STATUS = `Usage: pm2-self status [app] [--json] [--pm2-home <dir>]

Lists the daemon's apps: name, namespace, pm_id, pid, status and restarts,
and for each app that called exposeToPm2(), its restart state (idle,
deferred, draining, exiting), running tasks and last restart reason. An app
that did not is shown as "not exposed"; one pm2 runs through a launcher
(npm, a shell) as "no IPC channel": its exposeToPm2() cannot reach pm2.

  app               only this app (a name, a namespace or a pm_id)
  --json            the same as JSON, for scripts
  --pm2-home <dir>  the daemon of this PM2_HOME`;

const RESTART = `Usage: pm2-self restart <app|pm_id|all> [options]

Asks each instance, through its pm2-self:restart action, to restart when
its running tasks are done, and asks the next only once it is back: online
under a new pid (and ready, where the app sets wait_ready), exposeToPm2()
called again (at most 10 s), and then up for the settle time without another
restart. Each instance's answer and return are printed as they happen. An
instance that did not call exposeToPm2() is reported and not waited on. An
instance that does not reply, crashes after its restart (restarted again,
errored, stopped), does not come back within the timeout, or was not online
when its turn came stops the rollout: the others are not asked.

  --reason <text>          why; the app's events and next generation see it
                           (default "pm2-self restart")
  --deadline <duration>    longest wait for running tasks (default: as long
                           as they run)
  --on-deadline <policy>   force (restart anyway, default) or giveUp
  --parallel <n>           instances restarted at once (default 1)
  --timeout <duration>     longest wait for one instance to come back
                           (default 120s)
  --settle <duration>      how long a returned instance must stay up
                           without another restart (default 5s)
  --pm2-home <dir>         the daemon of this PM2_HOME

Durations: 500ms, 30s, 2m, 1h, or a number of seconds.
Exit codes: 0 all came back; 1 any refused, was cancelled, did not reply,
crashed, was not online or timed out; 2 usage error, unknown app, or no
daemon.`;

const CANCEL = `Usage: pm2-self cancel <app|pm_id|all> [--pm2-home <dir>]

Drops the restart each instance is still deferring (waiting for its tasks).
A restart already draining or exiting goes on. Exit code 1 when an instance
did not call exposeToPm2() or did not reply.`;

const TEXTS: Readonly<Record<CommandName, string>> = { status: STATUS, restart: RESTART, cancel: CANCEL };

/** The help of a command, or of the CLI. */
export function helpText(topic: CommandName | null): string {
  return topic === null ? MAIN : TEXTS[topic];
}
