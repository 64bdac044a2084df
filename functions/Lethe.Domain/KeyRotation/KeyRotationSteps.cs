using Lethe.Domain.Jobs.Workflow;
using Lethe.Domain.KeyRotation.Steps;

namespace Lethe.Domain.KeyRotation;

/// <summary>
/// The Task states of workflows/key-rotation.asl.json, one step class each (state <c>X</c> → <c>XStep</c> in KeyRotation/Steps,
/// or the kernel's HandOver and RecordFailure). Every step may run twice with the same input and ends in the same state.
/// </summary>
public sealed class KeyRotationSteps(KeyRotationPorts ports, IWorkflowStarter starter)
{
    public BeginStep Begin { get; } = new(ports);

    public RewrapPageStep RewrapPage { get; } = new(ports);

    public SwitchStep Switch { get; } = new(ports);

    public RetireStep Retire { get; } = new(ports);

    public HandOverStep<KeyRotationState> HandOver { get; } =
        new(KeyRotationWorkflow.Definition, ports.Jobs, starter, ports.Audit, ports.Clock, state => state with { HandOver = true, More = false });

    public RecordFailureStep RecordFailure { get; } = new(KeyRotationWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock, ports.Notices);
}
