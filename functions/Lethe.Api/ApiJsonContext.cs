using System.Text.Json;
using System.Text.Json.Serialization;
using Lethe.Api.Endpoints;

namespace Lethe.Api;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TenantResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(PutTenantRequest))]
[JsonSerializable(typeof(RetentionRequest))]
[JsonSerializable(typeof(RetentionView))]
[JsonSerializable(typeof(SettingsResponse))]
[JsonSerializable(typeof(LegalHoldRequest))]
[JsonSerializable(typeof(LegalHoldCreated))]
[JsonSerializable(typeof(LegalHoldList))]
[JsonSerializable(typeof(TenantAuditDetails))]
[JsonSerializable(typeof(HoldAuditDetails))]
[JsonSerializable(typeof(CreateRecordRequest))]
[JsonSerializable(typeof(RecordCreated))]
[JsonSerializable(typeof(RecordResponse))]
[JsonSerializable(typeof(RecordPage))]
[JsonSerializable(typeof(RecordAuditDetails))]
[JsonSerializable(typeof(RecordListAuditDetails))]
[JsonSerializable(typeof(ConsentRequest))]
[JsonSerializable(typeof(ConsentView))]
[JsonSerializable(typeof(ConsentList))]
[JsonSerializable(typeof(ConsentAuditDetails))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(AuditVerification))]
[JsonSerializable(typeof(AnchorView))]
[JsonSerializable(typeof(AnchorAuditDetails))]
[JsonSerializable(typeof(InventoryPage))]
[JsonSerializable(typeof(Auth.DeniedAuditDetails))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
