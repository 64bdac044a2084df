using Lethe.Domain.Jobs.Workflow;

namespace Lethe.Domain.Ingest.Steps;

/// <summary>
/// RecordFailure of the ingest workflow: the kernel's (the job fails once, audited, a notice goes out), then the upload ends
/// <c>failed</c> with the reason its owner reads on <c>GET …/uploads/{id}</c> (the error and our message; never content).
/// </summary>
public sealed class IngestRecordFailureStep(IngestPorts ports) : IWorkflowStep<FailedStep>
{
    private readonly RecordFailureStep _kernel = new(IngestWorkflow.Definition, ports.Jobs, ports.Audit, ports.Clock, ports.Notices);

    public async Task<FailedStep> RunAsync(FailedStep state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var recorded = await _kernel.RunAsync(state, cancellationToken);
        if (recorded.JobStatus == "failed" && await ports.Jobs.FindAsync(state.TenantId, state.JobId, cancellationToken) is { ItemId: { } uploadId } job && job.Execution == state.Execution)
        {
            await ports.Uploads.TryMoveAsync(state.TenantId, uploadId, new UploadMove([UploadStatus.Processing, UploadStatus.AwaitingReview], UploadStatus.Failed, ports.Clock.GetUtcNow())
            {
                Reason = IngestWorkflow.Definition.FailureMessage(state.Error, state.Cause),
            }, cancellationToken);
        }

        return recorded;
    }
}
