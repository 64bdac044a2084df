using Lethe.Domain.Audit;
using Lethe.Domain.Exports.Steps;
using Lethe.Domain.Jobs;
using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Exports;

/// <summary>workflows/export.asl.json as the kernel sees it.</summary>
public static class ExportWorkflow
{
    public static readonly AuditActor Actor = new("lethe-export-workflow", "system");

    public static WorkflowDefinition Definition { get; } = new("export", [JobType.Export, JobType.AuditExport], Actor, "export")
    {
        // An export retried while its connectors had not all confirmed, whose start was lost, is started again from its fan-out.
        RestartPhases = [JobPhases.Connectors],
    };

    /// <summary>How a job's volumes are stored: an audit export is always a ZIP (its one file inside is CSV or JSON).</summary>
    public static ExportFormat StoredFormat(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Type == JobType.AuditExport ? ExportFormat.Zip : ExportFormats.Parse(job.Format);
    }
}

/// <summary>
/// The Task states of workflows/export.asl.json, one step class each (Exports/Steps, Connectors/CallConnectorStep, and the kernel's
/// RecordFailure): the fan-out to the tenant's connectors serving exports, collect,
/// package one volume per invocation until none is left, complete. Every step may run twice: a volume is recorded on the job
/// only as the next one of a running job, its object is written under a fixed key, and audit events carry deterministic ids.
/// </summary>
public sealed class ExportSteps(ExportPorts ports)
{
    public PlanConnectorsStep PlanConnectors { get; } = new(ports);

    public Connectors.CallConnectorStep CallConnector { get; } = new(ExportWorkflow.Definition, "export", ports.Connectors, null, ports.Jobs, ports.Audit, ports.Clock);

    public SettleConnectorsStep SettleConnectors { get; } = new(ports);

    public CollectStep Collect { get; } = new(ports);

    public PackageStep Package { get; } = new(ports);

    public CompleteStep Complete { get; } = new(ports);

    public RecordFailureStep RecordFailure { get; } = new(ExportWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock, ports.Notices);
}
