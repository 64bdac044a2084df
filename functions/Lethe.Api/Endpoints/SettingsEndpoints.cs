using System.Text.Json;
using System.Text.RegularExpressions;
using Lethe.Api.Auditing;
using Lethe.Api.Auth;
using Lethe.Api.Configuration;
using Lethe.Api.Problems;
using Lethe.Aws.Keys;
using Lethe.Domain.Audit;
using Lethe.Domain.Policies;
using Lethe.Domain.Security;
using Lethe.Domain.Tenancy;
using Microsoft.Extensions.Options;

namespace Lethe.Api.Endpoints;

public sealed record PutTenantRequest(string? Name, string? KeyArn, int? TimeScale);

public sealed record RetentionRequest(string? Default, Dictionary<string, string?>? Categories);

public sealed record RetentionView(string Default, IReadOnlyDictionary<string, string> Categories);

public sealed record KeyView(string? Arn, string ManagedBy);

/// <summary>One category's archive rule: its archive period after retention ends, and its tier (GLACIER or DEEP_ARCHIVE).</summary>
public sealed record ArchiveRuleView(string? After, string? Tier);

public sealed record ArchiveRequest(Dictionary<string, ArchiveRuleView?>? Categories);

/// <summary>The categories that archive when their retention ends, and the tiers an archive rule may name.</summary>
public sealed record ArchiveView(IReadOnlyDictionary<string, ArchiveRuleView> Categories, IReadOnlyList<string> Tiers);

public sealed record SettingsResponse(RetentionView Retention, ArchiveView Archive, string RecoveryWindow, string HardDeleteDeadline, KeyView Key, string State)
{
    /// <summary>How privacy requests run: approval, the deadline, who is told by e-mail (<c>PUT …/settings/requests</c>).</summary>
    public required RequestSettingsView Requests { get; init; }

    /// <summary>What an erasure does per category: delete or mask (<c>PUT …/settings/erasure</c>).</summary>
    public required ErasureSettingsView Erasure { get; init; }
}

/// <summary>Per category, delete (the default) or mask (<c>PUT …/settings/erasure</c>).</summary>
public sealed record ErasureSettingsView(IReadOnlyDictionary<string, string> Categories, IReadOnlyList<string> Strategies);

public sealed record ErasureSettingsBody(Dictionary<string, string?>? Categories);

public sealed record NotificationSettingsView(IReadOnlyList<string> Emails);

/// <summary>The request settings of API.md: approval none|one|four-eyes, the pause on failure, the deadline, the notified addresses.</summary>
public sealed record RequestSettingsView(string Approval, bool PauseApprovalsOnFailure, string RequestDeadline, NotificationSettingsView Notifications);

public sealed record NotificationSettingsBody(List<string?>? Emails);

public sealed record RequestSettingsBody(string? Approval, bool? PauseApprovalsOnFailure, string? RequestDeadline, NotificationSettingsBody? Notifications);

public sealed record RequestSettingsAuditDetails(string Approval, bool PauseApprovalsOnFailure, string RequestDeadline, int NotificationEmails);

public sealed record LegalHoldRequest(string? SubjectId, string? Reason);

public sealed record LegalHoldCreated(string Id);

public sealed record LegalHoldView(string Id, string SubjectRef, string Reason, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record LegalHoldList(IReadOnlyList<LegalHoldView> Items);

/// <summary>Tenant administration: create/update (platform-admin), settings and retention, legal holds (tenant-admin).</summary>
public static partial class SettingsEndpoints
{
    public static IEndpointRouteBuilder MapSettingsEndpoints(this IEndpointRouteBuilder routes)
    {
        var tenant = routes.MapGroup("/v1/tenants/{tenantId}").WithTags("Tenants");
        tenant.MapPut("/", PutTenantAsync).RequireTenantAccess(Capability.ManageTenants, tenantMayBeMissing: true)
            .WithName("PutTenant").WithSummary("Creates or updates a tenant (platform-admin). A BYOK key must prove usable first.")
            .Produces<TenantResponse>(StatusCodes.Status201Created).Produces<TenantResponse>().ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone);
        tenant.MapGet("/settings", (HttpContext http) => TypedResults.Ok(Settings(http.Tenant()!)))
            .RequireTenantAccess(Capability.ReadSettings).WithName("GetSettings").WithSummary("Retention, archive, recovery window, key and state.")
            .Produces<SettingsResponse>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        tenant.MapPut("/settings/retention", PutRetentionAsync).RequireTenantAccess(Capability.ManageSettings)
            .WithName("PutRetention").WithSummary("Sets retention per category (P90D to P7Y); a rejected request changes nothing.")
            .Produces<SettingsResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        tenant.MapPut("/settings/archive", PutArchiveAsync).RequireTenantAccess(Capability.ManageSettings)
            .WithName("PutArchive")
            .WithSummary("Sets the categories that archive when their retention ends: tier GLACIER or DEEP_ARCHIVE, kept archived for `after` (P90D, P180D for DEEP_ARCHIVE, to P7Y), then purged. {} archives nothing; a rejected request changes nothing.")
            .Produces<SettingsResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        tenant.MapPut("/settings/erasure", PutErasureSettingsAsync).RequireTenantAccess(Capability.ManageSettings)
            .WithName("PutErasureSettings")
            .WithSummary("Sets, per category, what an erasure does with the subject's records: delete (the default) or mask (kept for the tenant's legal obligations with every PII field replaced by \"[erased]\", detected PII redacted and the subject link cut). Transcripts, insights, private notes and journals are always deleted. {} deletes everything; a rejected request changes nothing; a request keeps the settings it was submitted under.")
            .Produces<SettingsResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        tenant.MapPut("/settings/requests", PutRequestSettingsAsync).RequireTenantAccess(Capability.ManageSettings)
            .WithName("PutRequestSettings")
            .WithSummary("Sets how requests run: approval none|one|four-eyes, pauseApprovalsOnFailure, requestDeadline (P30D to P90D; each request keeps the deadline it was given), notifications.emails (at most 10). Omitted fields take their defaults; a rejected request changes nothing.")
            .Produces<SettingsResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status409Conflict);
        tenant.MapPost("/legal-holds", PostLegalHoldAsync).RequireTenantAccess(Capability.ManageLegalHolds)
            .WithName("CreateLegalHold").WithSummary("Places a legal hold on a subject: nothing of theirs is deleted while it stands.")
            .Produces<LegalHoldCreated>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        tenant.MapGet("/legal-holds", ListLegalHoldsAsync).RequireTenantAccess(Capability.ManageLegalHolds)
            .WithName("ListLegalHolds").WithSummary("The tenant's legal holds (subjects appear as subjectRef).").Produces<LegalHoldList>();
        tenant.MapDelete("/legal-holds/{holdId}", DeleteLegalHoldAsync).RequireTenantAccess(Capability.ManageLegalHolds)
            .WithName("DeleteLegalHold").WithSummary("Lifts a legal hold.")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        return routes;
    }

    private static async Task<IResult> PutTenantAsync(
        string tenantId, PutTenantRequest? body, HttpContext http, ITenantRepository tenants, KmsTenantKeys tenantKeys, IKeyProbe keyProbe,
        IOptions<LetheApiOptions> options, AuditRecorder audit, TimeProvider clock)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!TenantId.IsValid(tenantId))
        {
            errors["tenantId"] = ["A tenant id is 3–40 characters of [a-z0-9-]."];
        }

        var name = body?.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > Tenant.MaxNameLength)
        {
            errors["name"] = [$"A name of 1–{Tenant.MaxNameLength} characters is required."];
        }
        else if (name.Any(char.IsControl))
        {
            errors["name"] = ["A name may not contain control characters (line breaks, tabs, NUL, …)."];
        }

        if (body?.KeyArn is { } arn && !KmsKeyArn().IsMatch(arn))
        {
            errors["keyArn"] = ["Not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)."];
        }

        if (body?.TimeScale is { } scale && (!options.Value.IsLocal || scale < 1))
        {
            errors["timeScale"] = [options.Value.IsLocal ? "The time scale is an integer of at least 1." : "The time scale is a local-only setting; in AWS it is always 1."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var existing = http.Tenant();
        for (var attempt = 0; attempt < MaxSaveAttempts; attempt++)
        {
            // API.md, Tenants: an existing tenant's key never changes through PUT (omitting keyArn, or null, keeps it).
            if (existing is { KeyArn: { } current } && body!.KeyArn is { } requested && requested != current)
            {
                return ProblemTypes.Create(http, StatusCodes.Status409Conflict, "use-key-rotation", "The tenant key cannot change here",
                    "A tenant's key never changes through PUT /v1/tenants/{t}: rotate it with POST /v1/tenants/{t}/key/rotate, which rewraps every subject key first. Nothing was changed.");
            }

            string keyArn;
            bool byok;
            if (existing is { KeyArn: { } kept })
            {
                (keyArn, byok) = (kept, existing.ByokKey);
            }
            else if (body!.KeyArn is { } bringYourOwn)
            {
                if (await keyProbe.ProveUsableAsync(tenantId, bringYourOwn, http.RequestAborted) is { } failure)
                {
                    return ProblemTypes.Validation(http, new Dictionary<string, string[]> { ["keyArn"] = [$"The key cannot be this tenant's key: {failure}"] }, "byok-key-unusable");
                }

                (keyArn, byok) = (bringYourOwn, true);
            }
            else
            {
                (keyArn, byok) = (await tenantKeys.GetOrCreateAsync(tenantId, http.RequestAborted), false);
            }

            var tenant = (existing ?? new Tenant(tenantId, name!, TenantState.Active, clock.GetUtcNow(), options.Value.DefaultTimeScale)) with
            {
                Name = name!,
                TimeScale = body!.TimeScale ?? existing?.TimeScale ?? options.Value.DefaultTimeScale,
                KeyArn = keyArn,
                ByokKey = byok,
            };
            if (!await tenants.TrySaveAsync(tenant, http.RequestAborted))
            {
                // Another change came first: read it and apply this one on top (never undo it).
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25 * (attempt + 1))), http.RequestAborted);
                existing = await tenants.FindAsync(tenantId, http.RequestAborted);
                continue;
            }

            var details = JsonSerializer.SerializeToElement(new TenantAuditDetails(tenant.Name, byok ? "tenant" : "platform", tenant.TimeScale), ApiJsonContext.Default.TenantAuditDetails);
            await audit.RecordAsync(http, tenantId, existing is null ? AuditActions.TenantCreate : AuditActions.TenantUpdate, $"tenant/{tenantId}", AuditActions.Success, details);
            var response = TenantResponse.From(tenant);
            return existing is null ? TypedResults.Created($"/v1/tenants/{tenantId}", response) : TypedResults.Ok(response);
        }

        return ConcurrentChange(http);
    }

    /// <summary>A save that kept losing to concurrent changes of the same tenant (each of them applied): the caller retries.</summary>
    private const int MaxSaveAttempts = 8;

    private static IResult ConcurrentChange(HttpContext http) =>
        ProblemTypes.Create(http, StatusCodes.Status409Conflict, "concurrent-update", "The tenant kept changing",
            "Other changes to this tenant kept arriving while this one was applied; nothing of this request was stored. Retry it.");

    private static async Task<IResult> PutRetentionAsync(string tenantId, RetentionRequest? body, HttpContext http, ITenantRepository tenants, AuditRecorder audit)
    {
        if (body is null || (body.Default is null && body.Categories is null))
        {
            return ProblemTypes.Validation(http, new Dictionary<string, string[]>
            {
                ["default"] = ["Give default (e.g. P2Y) and/or categories ({\"transcript\":\"P1Y\"}); an empty body changes nothing."],
            });
        }

        var (retention, errors) = RetentionSettings.Validate(body.Default, body.Categories);
        if (retention is null)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var view = RetentionViewOf(retention);
        return await SaveSettingAsync(http, tenants, current => Same(RetentionViewOf(current.Retention), view), current => current with { Retention = retention },
            _ => audit.RecordAsync(http, tenantId, AuditActions.RetentionUpdate, $"tenant/{tenantId}/settings/retention", AuditActions.Success,
                JsonSerializer.SerializeToElement(view, ApiJsonContext.Default.RetentionView)));
    }

    /// <summary>
    /// Saves one setting on top of whatever else changed meanwhile (each save is conditional on the version read; a lost race
    /// reads again and re-applies, never undoing the other change); the same settings again journal nothing.
    /// </summary>
    private static async Task<IResult> SaveSettingAsync(HttpContext http, ITenantRepository tenants, Func<Tenant, bool> unchanged, Func<Tenant, Tenant> change, Func<Tenant, Task> journal)
    {
        var current = http.Tenant()!;
        for (var attempt = 0; attempt < MaxSaveAttempts; attempt++)
        {
            if (unchanged(current))
            {
                return TypedResults.Ok(Settings(current));
            }

            var tenant = change(current);
            if (await tenants.TrySaveAsync(tenant, http.RequestAborted))
            {
                // The tenant as stored: its version moved on with the save.
                var saved = tenant with { Version = tenant.Version + 1 };
                await journal(saved);
                return TypedResults.Ok(Settings(saved));
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 25 * (attempt + 1))), http.RequestAborted);
            current = await tenants.FindAsync(current.Id, http.RequestAborted) ?? current;
        }

        return ConcurrentChange(http);
    }

    private static async Task<IResult> PutArchiveAsync(string tenantId, ArchiveRequest? body, HttpContext http, ITenantRepository tenants, AuditRecorder audit)
    {
        var (archive, errors) = ArchiveSettings.Validate(body?.Categories?.ToDictionary(
            c => c.Key, c => c.Value is null ? ((string?, string?)?)null : (c.Value.After, c.Value.Tier), StringComparer.Ordinal));
        if (archive is null)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var view = ArchiveViewOf(archive);
        return await SaveSettingAsync(http, tenants, current => Same(ArchiveViewOf(current.Archive), view), current => current with { Archive = archive },
            _ => audit.RecordAsync(http, tenantId, AuditActions.ArchiveUpdate, $"tenant/{tenantId}/settings/archive", AuditActions.Success,
                JsonSerializer.SerializeToElement(view, ApiJsonContext.Default.ArchiveView)));
    }

    private static async Task<IResult> PutErasureSettingsAsync(string tenantId, ErasureSettingsBody? body, HttpContext http, ITenantRepository tenants, AuditRecorder audit)
    {
        var (settings, errors) = ErasureSettings.Validate(body?.Categories);
        if (settings is null)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var view = ErasureViewOf(settings);
        return await SaveSettingAsync(http, tenants, current => current.Erasure.SameAs(settings), current => current with { Erasure = settings },
            _ => audit.RecordAsync(http, tenantId, AuditActions.ErasureSettingsUpdate, $"tenant/{tenantId}/settings/erasure", AuditActions.Success,
                JsonSerializer.SerializeToElement(view, ApiJsonContext.Default.ErasureSettingsView)));
    }

    private static ErasureSettingsView ErasureViewOf(ErasureSettings settings) => new(
        settings.Categories.ToDictionary(c => c.Key, c => ErasureSettings.Name(c.Value), StringComparer.Ordinal),
        [ErasureSettings.Name(ErasureStrategy.Delete), ErasureSettings.Name(ErasureStrategy.Mask)]);

    private static async Task<IResult> PutRequestSettingsAsync(string tenantId, RequestSettingsBody? body, HttpContext http, ITenantRepository tenants, AuditRecorder audit)
    {
        var (settings, errors) = RequestSettings.Validate(body?.Approval, body?.PauseApprovalsOnFailure, body?.RequestDeadline, body?.Notifications?.Emails);
        if (settings is null)
        {
            return ProblemTypes.Validation(http, errors);
        }

        // The journal names what changed, never the addresses (personal data of the tenant's staff): only how many there are.
        var details = new RequestSettingsAuditDetails(ApprovalPolicies.Name(settings.Approval), settings.PauseApprovalsOnFailure, settings.RequestDeadline.ToString(), settings.NotificationEmails.Count);
        var result = await SaveSettingAsync(http, tenants, current => current.Requests.SameAs(settings), current => current with { Requests = settings },
            saved => audit.RecordAsync(http, tenantId, AuditActions.RequestSettingsUpdate, $"tenant/{tenantId}/settings/requests", AuditActions.Success,
                JsonSerializer.SerializeToElement(details, ApiJsonContext.Default.RequestSettingsAuditDetails)));
        // Also after a PUT that changed nothing: a run that failed earlier is tried again by sending the same settings.
        await SyncSubscriptionsAsync(http, tenants, tenantId);
        return result;
    }

    /// <summary>
    /// Brings the topic's e-mail subscriptions in step with the stored addresses (workflows/email-subscriptions.asl.json, which
    /// works out the change from the stored tenant itself). The settings stand whatever becomes of it: a start that fails is
    /// logged, and the next PUT tries again.
    /// </summary>
    private static async Task SyncSubscriptionsAsync(HttpContext http, ITenantRepository tenants, string tenantId)
    {
        try
        {
            // Not cut short by a client that went away: the settings are saved, so their subscriptions follow.
            if (await tenants.FindAsync(tenantId, CancellationToken.None) is { } stored && !Domain.Notifications.SubscriptionChange.For(stored).IsEmpty)
            {
                await http.RequestServices.GetRequiredService<Domain.Notifications.IEmailSubscriptions>().StartAsync(tenantId, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Lethe.Api.Settings")
                .LogError(ex, "The e-mail subscriptions of tenant {TenantId} could not be brought in step with its settings.", tenantId);
        }
    }

    private static async Task<IResult> PostLegalHoldAsync(
        string tenantId, LegalHoldRequest? body, HttpContext http, ILegalHoldRepository holds, SubjectRefs subjectRefs, Domain.Requests.RequestService requests,
        AuditRecorder audit, TimeProvider clock, ILoggerFactory loggers)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!SubjectId.IsValid(body?.SubjectId))
        {
            errors["subjectId"] = ["A subject id of 1–128 characters of [A-Za-z0-9._@:-] is required."];
        }

        var reason = body?.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 1000)
        {
            errors["reason"] = ["A reason of 1–1000 characters is required (it is shown to auditors)."];
        }

        if (errors.Count > 0)
        {
            return ProblemTypes.Validation(http, errors);
        }

        var subjectRef = await subjectRefs.ForAsync(http.Tenant()!, body!.SubjectId!, http.RequestAborted);
        var hold = new LegalHold(Guid.NewGuid().ToString("N"), tenantId, subjectRef, reason!, clock.GetUtcNow(), http.Principal().AuditName);
        await holds.CreateAsync(hold, http.RequestAborted);
        // The reason is free text that may name the person: it stays on the hold, never in the 7-year chain.
        await audit.RecordAsync(http, tenantId, AuditActions.LegalHoldCreate, $"legal-hold/{hold.Id}", AuditActions.Success,
            JsonSerializer.SerializeToElement(new HoldAuditDetails(subjectRef), ApiJsonContext.Default.HoldAuditDetails));
        // An erasure of the subject still in its soft-delete or window pauses now (phase held); one that purges pauses before its next page.
        if (await ThenAsync(() => requests.Held.PauseAsync(tenantId, subjectRef, http.RequestAborted), "pause", loggers) is { } paused)
        {
            await audit.RecordAsync(http, tenantId, "request.hold", $"request/{paused.Id}", AuditActions.Success,
                JsonSerializer.SerializeToElement(new ResumeAuditDetails(paused.Id, subjectRef, paused.ExecutionName), ApiJsonContext.Default.ResumeAuditDetails));
        }

        return TypedResults.Created($"/v1/tenants/{tenantId}/legal-holds/{hold.Id}", new LegalHoldCreated(hold.Id));
    }

    private static async Task<IResult> ListLegalHoldsAsync(string tenantId, HttpContext http, ILegalHoldRepository holds) =>
        TypedResults.Ok(new LegalHoldList((await holds.ListAsync(tenantId, http.RequestAborted))
            .OrderBy(h => h.CreatedAt).Select(h => new LegalHoldView(h.Id, h.SubjectRef, h.Reason, h.CreatedAt, h.CreatedBy)).ToList()));

    private static async Task<IResult> DeleteLegalHoldAsync(
        string tenantId, string holdId, HttpContext http, ILegalHoldRepository holds, Domain.Requests.RequestService requests, AuditRecorder audit, ILoggerFactory loggers)
    {
        var existing = holdId.Length is > 0 and <= 64 ? await holds.FindAsync(tenantId, holdId, http.RequestAborted) : null;
        if (existing is null || !await holds.DeleteAsync(tenantId, holdId, http.RequestAborted))
        {
            return ProblemTypes.NotFound(http, "legal hold");
        }

        await audit.RecordAsync(http, tenantId, AuditActions.LegalHoldDelete, $"legal-hold/{holdId}", AuditActions.Success,
            JsonSerializer.SerializeToElement(new HoldAuditDetails(existing.SubjectRef), ApiJsonContext.Default.HoldAuditDetails));
        // The subject's last hold is gone: an erasure it paused purges, shreds and certifies now (API.md, Requests).
        if (await ThenAsync(() => requests.Held.ResumeAsync(tenantId, existing.SubjectRef, http.RequestAborted), "resume", loggers) is { } resumed)
        {
            await audit.RecordAsync(http, tenantId, "request.resume", $"request/{resumed.Id}", AuditActions.Success,
                JsonSerializer.SerializeToElement(new ResumeAuditDetails(resumed.Id, existing.SubjectRef, resumed.ExecutionName), ApiJsonContext.Default.ResumeAuditDetails));
        }

        return TypedResults.NoContent();
    }

    /// <summary>
    /// What follows a stored (and audited) hold change for the subject's erasure. Should it fail, the hold's own outcome still
    /// stands and is what the caller gets (a retry would create a second hold, or find this one gone): an erasure not paused
    /// now pauses at its purge (which checks the hold in its own writes), and one not resumed now is resumed by the job
    /// reconciler on its next pass.
    /// </summary>
    private static async Task<Domain.Jobs.Job?> ThenAsync(Func<Task<Domain.Jobs.Job?>> step, string what, ILoggerFactory loggers)
    {
        try
        {
            return await step();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            loggers.CreateLogger("Lethe.Api.LegalHolds").LogWarning(ex, "Could not {Step} the subject's erasure now; the job reconciler will.", what);
            return null;
        }
    }

    private static SettingsResponse Settings(Tenant tenant) => new(
        RetentionViewOf(tenant.Retention),
        ArchiveViewOf(tenant.Archive),
        IsoDuration.FromDays(LifecyclePolicy.RecoveryWindow.Days).ToString(),
        IsoDuration.FromDays(LifecyclePolicy.HardDeleteDeadline.Days).ToString(),
        new KeyView(tenant.KeyArn, tenant.ByokKey ? "tenant" : "platform"),
        Tenant.StateName(tenant.State))
    {
        Requests = new RequestSettingsView(
            ApprovalPolicies.Name(tenant.Requests.Approval), tenant.Requests.PauseApprovalsOnFailure, tenant.Requests.RequestDeadline.ToString(),
            new NotificationSettingsView(tenant.Requests.NotificationEmails)),
        Erasure = ErasureViewOf(tenant.Erasure),
    };

    private static bool Same(RetentionView a, RetentionView b) =>
        a.Default == b.Default && a.Categories.Count == b.Categories.Count
        && a.Categories.All(c => b.Categories.TryGetValue(c.Key, out var other) && other == c.Value);

    private static bool Same(ArchiveView a, ArchiveView b) =>
        a.Categories.Count == b.Categories.Count && a.Categories.All(c => b.Categories.TryGetValue(c.Key, out var other) && other == c.Value);

    private static ArchiveView ArchiveViewOf(ArchiveSettings archive) => new(
        archive.Categories.ToDictionary(c => c.Key, c => new ArchiveRuleView(c.Value.After.ToString(), ArchiveTiers.Name(c.Value.Tier)), StringComparer.Ordinal),
        [ArchiveTiers.Name(ArchiveTier.Glacier), ArchiveTiers.Name(ArchiveTier.DeepArchive)]);

    private static RetentionView RetentionViewOf(RetentionSettings retention) =>
        new(retention.Default.ToString(), retention.Categories.ToDictionary(c => c.Key, c => c.Value.ToString(), StringComparer.Ordinal));

    [GeneratedRegex(@"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex KmsKeyArn();
}

public sealed record TenantAuditDetails(string Name, string KeyManagedBy, int TimeScale);

public sealed record HoldAuditDetails(string SubjectRef);

public sealed record ResumeAuditDetails(string RequestId, string SubjectRef, string Execution);
