using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Retention.Steps;

/// <summary>What the retention sweep's steps share on top of the kernel: their ports.</summary>
public abstract class RetentionStep(RetentionPorts ports)
    : WorkflowStep<RetentionSweepState>(RetentionSweepWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    protected RetentionPorts Ports { get; } = ports;
}
