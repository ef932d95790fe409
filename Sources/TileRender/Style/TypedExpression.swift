/// An expression with its static type.
struct TypedExpression {
    var expression: StyleExpression
    var type: ExpressionType

    init(_ expression: StyleExpression, _ type: ExpressionType) {
        self.expression = expression
        self.type = type
    }
}
