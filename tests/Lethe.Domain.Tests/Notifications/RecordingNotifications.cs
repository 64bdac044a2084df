using Lethe.Domain.Notifications;

namespace Lethe.Domain.Tests.Notifications;

/// <summary>An in-memory notification port: keeps each notice once per event and request, as the notify workflow's execution names do.</summary>
public sealed class RecordingNotifications : INotifications
{
    private readonly List<Notification> _sent = [];

    public IReadOnlyList<Notification> Sent
    {
        get
        {
            lock (_sent)
            {
                return [.. _sent];
            }
        }
    }

    public Task<bool> SendAsync(Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        notification.IsWellFormed.Should().BeTrue($"{notification.Event} about {notification.RequestId} is a notice Lethe sends");
        lock (_sent)
        {
            if (_sent.Any(n => n.TenantId == notification.TenantId && n.Event == notification.Event && n.RequestId == notification.RequestId))
            {
                return Task.FromResult(false);
            }

            _sent.Add(notification);
            return Task.FromResult(true);
        }
    }
}
