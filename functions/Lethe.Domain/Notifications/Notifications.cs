using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Lethe.Domain.Audit;
using Lethe.Domain.Jobs;

namespace Lethe.Domain.Notifications;

/// <summary>The events of API.md (Notifications) and the platform's own. Each names an event, never content or subject ids.</summary>
public static class NotificationEvents
{
    public const string RequestCompleted = "request.completed";
    public const string RequestFailed = "request.failed";
    public const string RequestOverdue = "request.overdue";
    public const string RequestAwaitingApproval = "request.awaiting-approval";
    public const string ExportReady = "export.ready";
    public const string UploadQuarantined = "upload.quarantined";
    public const string ReviewPending = "review.pending";

    /// <summary>An upload went through the pipeline: ids only (the upload, the item to open), the app links them to its page.</summary>
    public const string UploadDelivered = "upload.delivered";
    public const string RetentionRun = "retention.run";

    /// <summary>An archived item a retrieval restored is readable (or downloadable) for its window.</summary>
    public const string ArchiveReady = "archive.ready";

    /// <summary>To the platform's operators: a tenant's offboarding ended (ADR 0015).</summary>
    public const string TenantOffboarded = "tenant.offboarded";

    public static readonly IReadOnlyList<string> All =
        [RequestCompleted, RequestFailed, RequestOverdue, RequestAwaitingApproval, ExportReady, UploadQuarantined, ReviewPending, UploadDelivered, RetentionRun, ArchiveReady, TenantOffboarded];
}

/// <summary>
/// One notice: the event, the tenant, the request (job) it is about, and for some events further ids (a certificate id, the
/// tenant key's fate); nothing else, so no notice ever carries personal data. <see cref="Occurrence"/> tells apart notices of
/// an event that may happen again to the same request (a retried erasure that fails again); 0 for the rest.
/// </summary>
public sealed partial record Notification(string TenantId, string Event, string RequestId, DateTimeOffset At)
{
    public IReadOnlyDictionary<string, string> Ids { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    public int Occurrence { get; init; }

    /// <summary>Whether this is a notice Lethe sends: a known event, and ids that are ids (no spaces, no free text).</summary>
    public bool IsWellFormed =>
        NotificationEvents.All.Contains(Event, StringComparer.Ordinal) && IdShape().IsMatch(TenantId) && IdShape().IsMatch(RequestId) && Occurrence >= 0
        && Ids.Count <= 4 && Ids.All(i => IdShape().IsMatch(i.Key) && IdShape().IsMatch(i.Value) && i.Key is not ("event" or "tenantId" or "requestId" or "at"));

    /// <summary>What names this notice wherever it is recorded: its event and request, and its occurrence when there is one.</summary>
    public string Key => Occurrence > 0 ? $"{RequestId}#{Event}#{Occurrence}" : $"{RequestId}#{Event}";

    /// <summary>The message subscribers receive: <c>{"event","tenantId","requestId","at",…ids}</c>, ids only.</summary>
    public string Message()
    {
        var message = new JsonObject { ["event"] = Event, ["tenantId"] = TenantId, ["requestId"] = RequestId, ["at"] = Timestamps.Format(At) };
        foreach (var (name, value) in Ids)
        {
            message[name] = value;
        }

        return message.ToJsonString();
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdShape();
}

/// <summary>A notice as the outbox lists it (API.md: <c>{"at","event","requestId","channel"}</c>).</summary>
public sealed record SentNotification(DateTimeOffset At, string Event, string RequestId, string Channel);

/// <summary>
/// Where notices go (a port; DESIGN.md, Fan-out and approval): in AWS and locally, an execution of workflows/notify.asl.json named
/// after the notice, so a notice is sent once however often it is asked for; the execution publishes it to the SNS topic (the
/// tenant id as a message attribute each tenant's e-mail subscriptions filter on), then records it in the outbox and the audit.
/// </summary>
public interface INotifications
{
    /// <summary>Sends the notice unless it was sent already; true when this call sent it.</summary>
    Task<bool> SendAsync(Notification notification, CancellationToken cancellationToken);
}

/// <summary>The record of what was sent (a port): once per notice (<see cref="Notification.Key"/>), listed newest request first.</summary>
public interface INotificationOutbox
{
    /// <summary>Records the notice once; false when it was recorded already (a replay).</summary>
    Task<bool> RecordAsync(Notification notification, string channel, CancellationToken cancellationToken);

    Task<(IReadOnlyList<SentNotification> Items, string? NextCursor)> ListAsync(string tenantId, string? cursor, int limit, CancellationToken cancellationToken);
}

/// <summary>Sends notices about jobs through <see cref="INotifications"/>: the one way any part of Lethe tells anyone anything.</summary>
public static class JobNotices
{
    public static Task<bool> SendAsync(this INotifications notifications, Job job, string eventName, DateTimeOffset at, CancellationToken cancellationToken, int occurrence = 0)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        ArgumentNullException.ThrowIfNull(job);
        return notifications.SendAsync(new Notification(job.TenantId, eventName, job.Id, at) { Occurrence = occurrence }, cancellationToken);
    }

    /// <summary>
    /// Sends the notice where telling is secondary to the work that was done (a completed job, a stored request): a notice that
    /// cannot be started does not undo or fail that work. The caller sends it again when it runs again (the name keeps it once).
    /// </summary>
    public static Task<bool> TrySendAsync(this INotifications notifications, Job job, string eventName, DateTimeOffset at, CancellationToken cancellationToken, int occurrence = 0)
    {
        ArgumentNullException.ThrowIfNull(job);
        return notifications.TrySendAsync(new Notification(job.TenantId, eventName, job.Id, at) { Occurrence = occurrence }, cancellationToken);
    }

    /// <inheritdoc cref="TrySendAsync(INotifications, Job, string, DateTimeOffset, CancellationToken, int)"/>
    public static async Task<bool> TrySendAsync(this INotifications notifications, Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        try
        {
            return await notifications.SendAsync(notification, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>
/// The notify workflow's state: the notice as its sender named it (no message: ComposeNotice builds it from the checked fields,
/// so nothing a sender writes reaches a mailbox but ids), then the message, its time and its audience.
/// </summary>
public sealed record NoticeState(string TenantId, string Event, string RequestId)
{
    public Dictionary<string, string>? Ids { get; init; }

    public int Occurrence { get; init; }

    /// <summary>When the sender sent it (the message's <c>at</c>).</summary>
    public string? At { get; init; }

    /// <summary>The SNS message: the notice as JSON, ids only (<see cref="Notification.Message"/>), set by ComposeNotice.</summary>
    public string? Message { get; init; }

    /// <summary>Who it is for (a message attribute): <c>tenant</c> (its staff's subscriptions filter on it) or <c>platform</c> (operators).</summary>
    public string? Audience { get; init; }
}

/// <summary>
/// The notify workflow's two Lambda states: ComposeNotice (before Publish) checks the notice is one Lethe sends and builds its
/// message from the checked fields alone; RecordNotice (after Publish) records it in the tenant's outbox and journals it, both
/// once. The platform's own <c>tenant.offboarded</c> is for operators (audience <c>platform</c>) and journaled only: the tenant
/// it names has no outbox left.
/// </summary>
public sealed class NoticeSteps(INotificationOutbox outbox, IAuditJournal audit, TimeProvider clock)
{
    public const string Channel = "sns";

    public const string TenantAudience = "tenant";

    public const string PlatformAudience = "platform";

    public static readonly AuditActor Actor = new("lethe-notifier", "system");

    public Task<NoticeState> ComposeAsync(NoticeState state, CancellationToken cancellationToken)
    {
        var notification = Checked(state);
        return Task.FromResult(state with
        {
            At = Timestamps.Format(notification.At),
            Message = notification.Message(),
            Audience = state.Event == NotificationEvents.TenantOffboarded ? PlatformAudience : TenantAudience,
        });
    }

    public async Task<NoticeState> RecordAsync(NoticeState state, CancellationToken cancellationToken)
    {
        var notification = Checked(state);
        if (state.Event != NotificationEvents.TenantOffboarded)
        {
            await outbox.RecordAsync(notification, Channel, cancellationToken);
        }

        using var details = JsonDocument.Parse(new JsonObject { ["event"] = state.Event, ["channel"] = Channel }.ToJsonString());
        await audit.AppendAsync(new AuditEvent(
            $"notify:{notification.Key}", state.TenantId, notification.At, Actor, "notification.send", $"request/{state.RequestId}",
            AuditActions.Success, details.RootElement.Clone()), cancellationToken);
        return state;
    }

    private Notification Checked(NoticeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var at = state.At is { } sent && DateTimeOffset.TryParse(sent, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : clock.GetUtcNow();
        var notification = new Notification(state.TenantId, state.Event, state.RequestId, at)
        {
            Ids = state.Ids ?? new Dictionary<string, string>(StringComparer.Ordinal),
            Occurrence = state.Occurrence,
        };
        return notification.IsWellFormed
            ? notification
            : throw new NoticeRejectedException($"Not a notice Lethe sends: event '{state.Event}' about '{state.RequestId}'.");
    }
}

/// <summary>A notice that is not one Lethe sends (an unknown event, free text where ids belong): never published.</summary>
public sealed class NoticeRejectedException(string message) : Errors.LetheException(message)
{
    public override string ErrorType => "Lethe.NoticeRejected";
}

/// <summary>Sends nothing: the default of a workflow's ports in Domain tests that look at something else. Never composed in a deployed function.</summary>
public sealed class NotificationsOff : INotifications
{
    public static NotificationsOff Instance { get; } = new();

    public Task<bool> SendAsync(Notification notification, CancellationToken cancellationToken) => Task.FromResult(false);
}
