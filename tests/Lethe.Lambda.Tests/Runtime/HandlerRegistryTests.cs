using Lethe.Lambda.Runtime;

namespace Lethe.Lambda.Tests.Runtime;

public sealed class HandlerRegistryTests
{
    [Fact]
    public void Resolve_when_name_is_registered_should_create_that_handler()
    {
        var registry = new HandlerRegistry().Add("echo", () => new EchoHandler());

        registry.Resolve("echo").Should().BeOfType<EchoHandler>();
    }

    [Fact]
    public void Resolve_when_name_is_unknown_should_name_the_known_handlers()
    {
        var registry = new HandlerRegistry().Add("echo", () => new EchoHandler()).Add("ping", () => new EchoHandler());

        var resolve = () => registry.Resolve("pnig");

        resolve.Should().Throw<UnknownHandlerException>().WithMessage("*'pnig'*echo, ping*");
    }

    [Fact]
    public void Add_when_name_is_taken_should_refuse()
    {
        var registry = new HandlerRegistry().Add("echo", () => new EchoHandler());

        var again = () => registry.Add("echo", () => new EchoHandler());

        again.Should().Throw<InvalidOperationException>();
    }
}
