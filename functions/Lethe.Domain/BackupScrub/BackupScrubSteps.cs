using Lethe.Domain.BackupScrub.Steps;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.BackupScrub;

/// <summary>
/// The Task states of workflows/backup-scrub.asl.json, one step class each (state <c>X</c> → <c>XStep</c> in BackupScrub/Steps,
/// or the kernel's HandOver and RecordFailure). Every step may run twice with the same input and ends in the same state.
/// </summary>
public sealed class BackupScrubSteps(BackupScrubPorts ports, IWorkflowStarter starter)
{
    public BeginStep Begin { get; } = new(ports);

    public ScrubPageStep ScrubPage { get; } = new(ports);

    public CertifyStep Certify { get; } = new(ports);

    public HandOverStep<BackupScrubState> HandOver { get; } =
        new(BackupScrubWorkflow.Definition, ports.Jobs, starter, ports.Audit, ports.Clock, state => state with { HandOver = true, More = false });

    public RecordFailureStep RecordFailure { get; } = new(BackupScrubWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock, ports.Notices);
}
