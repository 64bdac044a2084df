using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Retention.Steps;

namespace Lethe.Domain.Retention;

/// <summary>
/// The Task states of workflows/retention-sweep.asl.json, one step class each (state <c>X</c> → <c>XStep</c> in Retention/Steps,
/// or the kernel's HandOver and RecordFailure). Every step may run twice with the same input and ends in the same state.
/// </summary>
public sealed class RetentionSteps(RetentionPorts ports, IWorkflowStarter starter)
{
    public BeginStep Begin { get; } = new(ports);

    public SelectPageStep SelectPage { get; } = new(ports);

    public PurgePageStep PurgePage { get; } = new(ports);

    public CertifyStep Certify { get; } = new(ports);

    public StartBackupScrubStep StartBackupScrub { get; } = new(ports);

    public CompleteStep Complete { get; } = new(ports);

    public HandOverStep<RetentionSweepState> HandOver { get; } =
        new(RetentionSweepWorkflow.Definition, ports.Jobs, starter, ports.Audit, ports.Clock, state => state with { HandOver = true, More = false });

    public RecordFailureStep RecordFailure { get; } = new(RetentionSweepWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock, ports.Notices);
}
