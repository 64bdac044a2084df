using Lethe.Domain.Archive.Steps;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Archive;

/// <summary>
/// The Task states of workflows/archive-retrieval.asl.json, one step class each (state <c>X</c> → <c>XStep</c> in Archive/Steps,
/// or the kernel's RecordFailure). Every step may run twice with the same input and ends in the same state.
/// </summary>
public sealed class ArchiveRetrievalSteps(ArchiveRetrievalPorts ports)
{
    public BeginStep Begin { get; } = new(ports);

    public CheckRestoreStep CheckRestore { get; } = new(ports);

    public MakeReadableStep MakeReadable { get; } = new(ports);

    public RearchiveStep Rearchive { get; } = new(ports);

    public RecordFailureStep RecordFailure { get; } = new(ArchiveRetrievalWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock, ports.Notices);
}
