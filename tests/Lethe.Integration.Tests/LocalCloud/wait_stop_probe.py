"""Stops moto Step Functions executions at the two moments moto 5.2.1 loses a stop; prints what became of them.

Usage: python3 wait_stop_probe.py LAUNCHER_PATH (patched|unpatched)

Run by MotoLauncherTests, with moto in process. Under load those moments last long enough for a stop to land in them; here
the probe holds the execution there (a pause injected into moto) and sends the stop while it is held:
- "entering-wait": after the program checked that it still runs and before its day-long Wait starts waiting. Stock moto
  then sleeps the whole day: the execution stays RUNNING.
- "before-first-state": after the execution's environment exists and before its first state. Stock moto drops the stop.
With the launcher's stop patch every execution ends ABORTED. Output: one JSON line.
"""

import importlib.util
import json
import os
import sys
import threading
import time

# moto runs in this process: endpoints of a running local cloud (inherited from a test host) must not redirect boto3.
for variable in [name for name in os.environ if name.startswith(("AWS_", "MOTO_", "TEST_SERVER_MODE"))]:
    del os.environ[variable]
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")

EXECUTIONS = 4
HOLD_SECONDS = 0.5
SETTLE_SECONDS = 3.0


class Hold:
    """Wraps a moto method so that, when armed, it signals and pauses before running."""

    def __init__(self, owner, name):
        self.reached = threading.Event()
        self.armed = False
        original = getattr(owner, name)
        hold = self

        def held(*args, **kwargs):
            if hold.armed:
                hold.reached.set()
                time.sleep(HOLD_SECONDS)
            return original(*args, **kwargs)

        setattr(owner, name, held)

    def arm(self):
        self.reached.clear()
        self.armed = True


def main() -> None:
    launcher_path, mode = sys.argv[1], sys.argv[2]
    spec = importlib.util.spec_from_file_location("moto_launcher", launcher_path)
    launcher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(launcher)
    launcher.patch_stepfunctions()
    stop_patch = launcher.patch_stepfunctions_stop() if mode == "patched" else "not applied"

    import boto3
    from moto import mock_aws
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    holds = {"entering-wait": Hold(WaitFunction, "_eval_body"), "before-first-state": Hold(Program, "eval")}
    results = {}
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        definition = {"StartAt": "Day", "States": {"Day": {"Type": "Wait", "Seconds": 86400, "End": True}}}
        machine = sfn.create_state_machine(
            name="stop-probe", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/probe"
        )["stateMachineArn"]
        for moment, hold in holds.items():
            arns = []
            for run in range(EXECUTIONS):
                hold.arm()
                arn = sfn.start_execution(stateMachineArn=machine, name=f"{moment}-{run}", input="{}")["executionArn"]
                if not hold.reached.wait(10):
                    raise RuntimeError(f"The execution never reached the moment {moment}.")
                sfn.stop_execution(executionArn=arn, error="Probe", cause=f"stopped at {moment}")
                hold.armed = False
                arns.append(arn)

            deadline = time.monotonic() + SETTLE_SECONDS
            while True:
                statuses = [sfn.describe_execution(executionArn=arn)["status"] for arn in arns]
                if "RUNNING" not in statuses or time.monotonic() >= deadline:
                    break
                time.sleep(0.1)
            results[moment] = {status: statuses.count(status) for status in sorted(set(statuses))}

    print(json.dumps({"stopPatch": stop_patch, "moments": results}), flush=True)
    # Executions still waiting hold daemon threads; leave without joining them.
    os._exit(0)


if __name__ == "__main__":
    main()
