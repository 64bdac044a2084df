using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Classification;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Ingest.Steps;

/// <summary>
/// Normalize: the upload's object read by its declared type into segments (speakers kept for transcripts), its PII detected and
/// classified; limits fail with the reason on the upload (<c>Lethe.TranscriptFormat</c>). The audit names the format, the
/// counts and the PII kinds found, never a value.
/// </summary>
public sealed class NormalizeStep(IngestPorts ports) : IngestStep(ports)
{
    public override async Task<IngestState> RunAsync(IngestState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (job, _, upload) = await OpenAsync(state, cancellationToken);
        var (transcript, source) = await NormalizedAsync(upload, cancellationToken);
        var classification = DataClassifier.Classify(upload.Declared.Category, true, transcript.Segments.Select(s => s.Text));
        job = await MoveAsync(job, JobTransitions.Start(JobPhases.Validate, JobPhases.Normalize, Now, total: JobPhases.IngestSteps.Count - 1), cancellationToken);
        await AuditStepAsync(job, "normalize", "ingest.normalize", AuditActions.Success, new JsonObject
        {
            ["format"] = transcript.Format,
            ["segments"] = transcript.Segments.Count,
            ["speakers"] = transcript.Speakers.Count(s => s.Length > 0),
            ["bytes"] = source.Length,
            ["classification"] = classification.Level.ToString().ToLowerInvariant(),
            ["pii"] = new JsonArray([.. classification.Pii.Select(p => (JsonNode)PiiKinds.Name(p))]),
        }, cancellationToken);
        return state;
    }
}
