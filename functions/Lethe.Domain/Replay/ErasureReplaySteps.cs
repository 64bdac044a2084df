using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Replay.Steps;

namespace Lethe.Domain.Replay;

/// <summary>
/// The Task states of workflows/erasure-replay.asl.json, one step class each (state <c>X</c> → <c>XStep</c> in Replay/Steps, or
/// the kernel's HandOver and RecordFailure). Every step may run twice with the same input and ends in the same state.
/// </summary>
public sealed class ErasureReplaySteps(ErasureReplayPorts ports, IWorkflowStarter starter)
{
    public ReplayPageStep ReplayPage { get; } = new(ports);

    public CompleteStep Complete { get; } = new(ports);

    public HandOverStep<ErasureReplayState> HandOver { get; } =
        new(ErasureReplayWorkflow.Definition, ports.Jobs, starter, ports.Audit, ports.Clock, state => state with { HandOver = true, More = false });

    public RecordFailureStep RecordFailure { get; } = new(ErasureReplayWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock, ports.Notices);
}
