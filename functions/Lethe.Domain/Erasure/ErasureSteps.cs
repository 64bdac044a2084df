using Lethe.Domain.Erasure.Steps;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Erasure;

/// <summary>
/// The Task states of workflows/deletion.asl.json, one step class each (state <c>X</c> → <c>XStep</c> in Erasure/Steps, or the
/// kernel's HandOver and RecordFailure). Every step may run twice with the same input and ends in the same state: item moves
/// are conditional, counters move only with the page that earns them, audit events carry deterministic ids, and the
/// certificate is written once under the job id.
/// </summary>
public sealed class ErasureSteps(ErasurePorts ports, IWorkflowStarter starter)
{

    public ValidateStep Validate { get; } = new(ports);

    public SoftDeletePageStep SoftDeletePage { get; } = new(ports);

    public BeginPurgeStep BeginPurge { get; } = new(ports);

    public PlanConnectorsStep PlanConnectors { get; } = new(ports, new(ports.Connectors, ports.Tenants, "deletion"));

    public Connectors.CallConnectorStep CallConnector { get; } = new(ErasureWorkflow.Definition, "deletion", ports.Connectors, ports.Holds, ports.Jobs, ports.Audit, ports.Clock);

    public SettleConnectorsStep SettleConnectors { get; } = new(ports, new(ports.Connectors, ports.Tenants, "deletion"));

    public PurgePageStep PurgePage { get; } = new(ports);

    public ShredStep Shred { get; } = new(ports);

    public CertifyStep Certify { get; } = new(ports);

    public StartBackupScrubStep StartBackupScrub { get; } = new(ports);

    public CompleteStep Complete { get; } = new(ports);

    public HandOverStep<ErasureState> HandOver { get; } =
        new(ErasureWorkflow.Definition, ports.Jobs, starter, ports.Audit, ports.Clock, state => state with { HandOver = true, More = false });

    public RecordFailureStep RecordFailure { get; } = new(ErasureWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock, ports.Notices);
}
