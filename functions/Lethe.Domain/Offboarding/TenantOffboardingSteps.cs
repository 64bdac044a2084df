using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.Offboarding.Steps;

namespace Lethe.Domain.Offboarding;

/// <summary>
/// The Task states of workflows/tenant-offboarding.asl.json, one step class each (state <c>X</c> → <c>XStep</c> in
/// Offboarding/Steps, or the kernel's HandOver and RecordFailure). Every step may run twice with the same input and ends in the
/// same state.
/// </summary>
public sealed class TenantOffboardingSteps(TenantOffboardingPorts ports)
{
    public BeginStep Begin { get; } = new(ports);

    public DrainStep Drain { get; } = new(ports);

    public ExportPageStep ExportPage { get; } = new(ports);

    public PurgePageStep PurgePage { get; } = new(ports);

    public RetireKeysStep RetireKeys { get; } = new(ports);

    public CertifyStep Certify { get; } = new(ports);

    public TerminateStep Terminate { get; } = new(ports);

    public HandOverStep<TenantOffboardingState> HandOver { get; } =
        new(TenantOffboardingWorkflow.Definition, ports.Jobs, ports.Workflows, ports.Audit, ports.Clock, state => state with { HandOver = true, More = false });

    public RecordFailureStep RecordFailure { get; } = new(TenantOffboardingWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock, ports.Notices);
}
