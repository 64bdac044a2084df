using System.Text.Json.Nodes;
using Lethe.Domain.Audit;
using Lethe.Domain.Errors;
using Lethe.Domain.Jobs;
using Lethe.Domain.Records;

namespace Lethe.Domain.Ingest.Steps;

/// <summary>
/// PackEvidence: L0 the source's SHA-256 and each segment's, L1 the insight's claims with the segment ids they cite, L2 the
/// cross-check (every claim cites something, every citation exists, what a claim says is in what it cites). A pack that fails
/// stops the upload before review (<c>Lethe.EvidencePackInvalid</c>, the problems as the reason); a valid one is stored with its
/// provenance as a record of the subject (category <c>evidence_pack</c>, staff only).
/// </summary>
public sealed class PackEvidenceStep(IngestPorts ports) : IngestStep(ports)
{
    public override async Task<IngestState> RunAsync(IngestState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var (job, tenant, upload) = await OpenAsync(state, cancellationToken);
        var packId = IngestWorkflow.RecordIdFor(upload.Id, "e");
        if (await Ports.RecordStore.FindAsync(tenant.Id, packId, cancellationToken) is null)
        {
            var insightRecord = await Ports.RecordStore.FindAsync(tenant.Id, state.InsightId ?? string.Empty, cancellationToken)
                ?? throw new UploadGoneException($"The insight of upload {upload.Id} is no longer there.");
            var insight = DeriveStep.ParseClaims((await Ports.Records.OpenAsync(insightRecord, KeyArn(tenant), cancellationToken)).Fields[DeriveStep.ClaimsField]);
            var (pseudonymized, sourceSha256) = await PseudonymizedContentAsync(tenant, state.RecordId ?? string.Empty, cancellationToken);
            var pack = EvidencePack.Assemble([], pseudonymized, insight) with { SourceSha256 = sourceSha256 };
            if (!pack.IsValid)
            {
                throw new EvidencePackInvalidException($"The evidence pack failed its cross-check: {string.Join(" ", pack.Problems.Take(5))}");
            }

            var fields = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["l0"] = new JsonObject
                {
                    ["sourceSha256"] = pack.SourceSha256,
                    ["segments"] = new JsonObject([.. pack.SegmentSha256.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))]),
                }.ToJsonString(),
                ["l1"] = DeriveStep.ClaimsJson(insight),
                ["l2"] = new JsonObject { ["valid"] = true, ["claims"] = insight.Summary.Count + insight.Themes.Count, ["problems"] = new JsonArray() }.ToJsonString(),
                ["provenance"] = new JsonObject
                {
                    ["uploadId"] = upload.Id,
                    ["contentRecordId"] = state.RecordId,
                    ["insightId"] = state.InsightId,
                    ["model"] = insight.Model,
                    ["modelVersion"] = insight.ModelVersion,
                    ["packedAt"] = AuditChain.FormatTime(Now),
                }.ToJsonString(),
            };
            await StoreRecordAsync(tenant, upload, packId, IngestWorkflow.EvidenceCategory, IngestWorkflow.PendingVisibility, fields, "evidence pack", cancellationToken);
        }

        job = await MoveAsync(job, JobTransitions.Advance(JobPhases.Derive, JobPhases.Evidence, Now), cancellationToken);
        await AuditStepAsync(job, "evidence", "ingest.evidence", AuditActions.Success, new JsonObject { ["packId"] = packId, ["valid"] = true }, cancellationToken);
        return state with { PackId = packId };
    }
}
