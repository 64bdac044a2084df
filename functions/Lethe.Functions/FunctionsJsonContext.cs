using System.Text.Json;
using System.Text.Json.Serialization;
using Lethe.Domain.Erasure;
using Lethe.Domain.Exports;
using Lethe.Domain.Retention;
using Lethe.Functions.Audit;
using Lethe.Functions.Jobs;
using Lethe.Functions.Platform;

namespace Lethe.Functions;

/// <summary>Every type a Lethe function reads or writes, for System.Text.Json's source generator (Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PingInput))]
[JsonSerializable(typeof(PingOutput))]
[JsonSerializable(typeof(AuditChainerResult))]
[JsonSerializable(typeof(AuditAnchorResult))]
[JsonSerializable(typeof(ErasureState))]
[JsonSerializable(typeof(Lethe.Domain.Connectors.ConnectorCallState))]
[JsonSerializable(typeof(ExportState))]
[JsonSerializable(typeof(RetentionSweepState))]
[JsonSerializable(typeof(Lethe.Domain.Archive.ArchiveRetrievalState))]
[JsonSerializable(typeof(Lethe.Domain.BackupScrub.BackupScrubState))]
[JsonSerializable(typeof(Lethe.Domain.Replay.ErasureReplayState))]
[JsonSerializable(typeof(Lethe.Domain.KeyRotation.KeyRotationState))]
[JsonSerializable(typeof(Lethe.Domain.Offboarding.TenantOffboardingState))]
[JsonSerializable(typeof(Lethe.Domain.Ingest.IngestState))]
[JsonSerializable(typeof(FailedStepInput))]
[JsonSerializable(typeof(FailureRecorded))]
[JsonSerializable(typeof(JobStatusResult))]
[JsonSerializable(typeof(ReconcileResult))]
[JsonSerializable(typeof(SweepSummary))]
[JsonSerializable(typeof(RetentionScheduleResult))]
[JsonSerializable(typeof(Lethe.Domain.Notifications.NoticeState))]
[JsonSerializable(typeof(Lethe.Domain.Notifications.SubscriptionsToRecord))]
[JsonSerializable(typeof(Lethe.Domain.Notifications.SubscriptionPlan))]
[JsonSerializable(typeof(Lethe.Domain.Notifications.SubscriptionsRecorded))]
[JsonSerializable(typeof(Lethe.Functions.Notifications.OverdueCheckResult))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class FunctionsJsonContext : JsonSerializerContext;
