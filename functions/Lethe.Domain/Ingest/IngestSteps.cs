using Lethe.Domain.Ingest.Steps;

namespace Lethe.Domain.Ingest;

/// <summary>
/// The Task states of workflows/ingest.asl.json, one step class each (state <c>X</c> → <c>XStep</c> in Ingest/Steps). Every
/// step may run twice with the same input and ends in the same state (records have ids fixed by the upload).
/// </summary>
public sealed class IngestSteps(IngestPorts ports)
{
    public NormalizeStep Normalize { get; } = new(ports);

    public StoreStep Store { get; } = new(ports);

    public DeriveStep Derive { get; } = new(ports);

    public PackEvidenceStep PackEvidence { get; } = new(ports);

    public RequestReviewStep RequestReview { get; } = new(ports);

    public DeliverStep Deliver { get; } = new(ports);

    public IngestRecordFailureStep RecordFailure { get; } = new(ports);
}
