using System.Text.Json;
using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Errors;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Ingest.Steps;

/// <summary>
/// Derive: an insight (summary and themes citing segment ids) from the model port, on the pseudonymized content only, with
/// <c>noTraining</c> set and the model's name and version recorded. Skipped and audited when the subject has not granted
/// <c>ai-processing</c>, or when processing is restricted (at upload or now: checked when the step runs). The insight is a record
/// of the subject (category <c>insight</c>, staff only until a reviewer approves it), id fixed by the upload.
/// </summary>
public sealed class DeriveStep(IngestPorts ports) : IngestStep(ports)
{
    public const string ClaimsField = "claims";

    public override async Task<IngestState> RunAsync(IngestState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (job, tenant, upload) = await OpenAsync(state, cancellationToken);
        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Store, JobPhases.Derive, Now), cancellationToken);
        var skipped = upload.Restricted || (await Ports.Restrictions.GetAsync(tenant.Id, upload.SubjectRef, cancellationToken)).Restricted
            ? "restricted"
            : (await Ports.Consents.ListAsync(tenant.Id, upload.SubjectRef, cancellationToken)).Any(c => c.Purpose == ConsentPurpose.AiProcessing && c.Granted)
                ? null
                : "no-consent";
        if (skipped is not null)
        {
            await AuditStepAsync(job, "derive", "ingest.derive.skipped", AuditActions.Success, new JsonObject { ["reason"] = skipped }, cancellationToken);
            return state with { InsightId = null };
        }

        var insightId = IngestWorkflow.RecordIdFor(upload.Id, "i");
        if (await Ports.RecordStore.FindAsync(tenant.Id, insightId, cancellationToken) is null)
        {
            var (pseudonymized, _) = await PseudonymizedContentAsync(tenant, state.RecordId ?? upload.ItemId ?? string.Empty, cancellationToken);
            var insight = await Ports.Model.DeriveAsync(pseudonymized, cancellationToken);
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["summary"] = string.Join("\n", insight.Summary.Select(c => c.Text)),
                ["themes"] = string.Join(", ", insight.Themes.Select(c => c.Text)),
                [ClaimsField] = ClaimsJson(insight),
                ["model"] = insight.Model,
                ["modelVersion"] = insight.ModelVersion,
                ["noTraining"] = insight.NoTraining ? "true" : "false",
                ["sourceRecordId"] = state.RecordId,
                [StoreStep.UploadIdField] = upload.Id,
            };
            await StoreRecordAsync(tenant, upload, insightId, IngestWorkflow.InsightCategory, IngestWorkflow.PendingVisibility, fields, "insight", cancellationToken);

            await AuditStepAsync(job, "derive", "ingest.derive", AuditActions.Success, new JsonObject
            {
                ["insightId"] = insightId,
                ["model"] = insight.Model,
                ["modelVersion"] = insight.ModelVersion,
                ["noTraining"] = insight.NoTraining,
                ["claims"] = insight.Summary.Count + insight.Themes.Count,
            }, cancellationToken);
        }

        return state with { InsightId = insightId };
    }

    /// <summary>The claims with their citations, as stored on the insight (the evidence pack checks them).</summary>
    public static string ClaimsJson(Insight insight)
    {
        ArgumentNullException.ThrowIfNull(insight);
        static JsonArray Claims(IEnumerable<InsightClaim> claims) =>
            new([.. claims.Select(c => (JsonNode)new JsonObject { ["text"] = c.Text, ["citations"] = new JsonArray([.. c.Citations.Select(id => (JsonNode)id)]) })]);
        return new JsonObject
        {
            ["summary"] = Claims(insight.Summary),
            ["themes"] = Claims(insight.Themes),
            ["model"] = insight.Model,
            ["modelVersion"] = insight.ModelVersion,
            ["noTraining"] = insight.NoTraining,
        }.ToJsonString();
    }

    /// <summary>The insight back from its stored claims.</summary>
    public static Insight ParseClaims(string json)
    {
        var node = JsonNode.Parse(json)?.AsObject() ?? throw new JsonException("The insight's claims are empty.");
        static List<InsightClaim> Claims(JsonNode? array) =>
            [.. (array?.AsArray() ?? []).Select(c => new InsightClaim(c!["text"]!.GetValue<string>(), [.. c["citations"]!.AsArray().Select(id => id!.GetValue<string>())]))];
        return new Insight(Claims(node["summary"]), Claims(node["themes"]), node["model"]!.GetValue<string>(), node["modelVersion"]!.GetValue<string>())
        {
            NoTraining = node["noTraining"]?.GetValue<bool>() ?? true,
        };
    }
}
