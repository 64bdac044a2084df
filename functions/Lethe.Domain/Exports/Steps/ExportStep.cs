using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Exports.Steps;

/// <summary>What the export workflow's steps share on top of the kernel: their ports.</summary>
public abstract class ExportStep(ExportPorts ports) : WorkflowStep<ExportState>(ExportWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock)
{
    protected ExportPorts Ports { get; } = ports;

    /// <summary>The fan-out to the tenant's connectors serving exports.</summary>
    protected Connectors.ConnectorFanOut FanOut { get; } = new(ports.Connectors, ports.Tenants, "export");
}
