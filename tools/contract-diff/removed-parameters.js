// An Optic ruleset that Optic's own breaking-changes ruleset lacks: removing
// a query or header parameter, even an optional one, breaks the clients that
// send it (their request now means something else). Like breaking-changes,
// it lets a change pass when info.version's major number rises.
const { OperationRule, Ruleset, RuleError } = require("@useoptic/rulesets-base");

const preventParameterRemoval = (location) =>
  new OperationRule({
    name: `prevent removing ${location} parameters`,
    rule: (operation) => {
      operation[`${location}Parameter`].removed((before) => {
        throw new RuleError({
          message: `cannot remove ${location} parameter '${before.value.name}'. This is a breaking change.`,
        });
      });
    },
  });

module.exports = {
  configSchema: { type: "object" },
  rulesetConstructor: () =>
    new Ruleset({
      name: "removed parameters",
      matches: (context) => context.specification.versionChange !== "major",
      rules: [preventParameterRemoval("query"), preventParameterRemoval("header")],
    }),
};
