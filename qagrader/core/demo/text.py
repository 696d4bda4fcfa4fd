"""Text of the demo workspace: customer names, topics and phrases, grader comments, and the
subject lines and transcripts that reflect each interaction's graded behaviour.

Everything draws from the generator's seeded text source (`random.Random`), in a fixed order, so
one seed always gives the same text. The numbers behind the demo are in `build`.
"""

from __future__ import annotations

import random
from typing import Any

from ..scorecards.model import NO, YES
from ..scorecards.scoring import Answer
from .cases import Case

FIRST_NAMES = ("Daniel", "Sarah", "Michael", "Laura", "David", "Emma", "Chris", "Rachel", "Paul", "Sophie",
               "Mark", "Lucy", "Andrew", "Jessica", "Peter", "Helen", "Ahmed", "Nadia", "Kevin", "Claire",
               "Simon", "Anna", "Tariq", "Julia", "Steven", "Megan", "Joseph", "Amira", "Robert", "Kate",
               "Liam", "Priyanka", "Gareth", "Elena", "Marcus", "Yasmin", "Owen", "Charlotte", "Hugo", "Ines")
LAST_NAMES = ("Cho", "Taylor", "Evans", "Hughes", "Thompson", "Walsh", "Ali", "Nguyen", "Fischer", "Dubois",
              "Morgan", "Bennett", "Reid", "Okafor", "Santos", "Hall", "Price", "Ward", "Lopez", "Baker",
              "Singh", "Turner", "Hussain", "Collins", "Parker", "Russo", "Kelly", "Shaw", "Young", "Mills")
OCCASIONS = (("It's a birthday present for my sister.", "I hope your sister has a brilliant birthday!"),
             ("We're moving house on Saturday.", "Good luck with the move on Saturday!"),
             ("I need it for a trip next week.", "Have a great trip next week!"),
             ("It's for our new flat.", "Congratulations on the new flat!"),
             ("It was meant to be an anniversary gift.", "Happy anniversary, by the way!"))

# topic: subjects, customer's problem, empathy's "impact", accurate fix, wrong information,
# partial next step, unresolved answer. The topics' shares and CSAT terms are `demo.TOPICS`.
TOPIC_TEXT: dict[str, dict[str, Any]] = {
    "late": {"subject": ("Where is my order {order}?", "Order {order} still not delivered", "Delivery late"),
             "problem": "My {product} (order {order}) was due on Monday and still hasn't arrived.",
             "impact": "you're waiting in for a delivery that doesn't come",
             "fix": "It's at the local depot and out for delivery tomorrow before 6pm; I've sent you the tracking link.",
             "wrong": "It should definitely be with you later today.",
             "partial": "I'll chase the courier and someone will get back to you.",
             "no": "There's nothing we can do until the courier updates the tracking."},
    "damaged": {"subject": ("Item arrived damaged", "Broken {product}", "Damaged delivery, order {order}"),
                "problem": "The {product} from order {order} arrived damaged, the box was crushed.",
                "impact": "something you've been looking forward to arrives broken",
                "fix": "I've ordered a free replacement for Thursday and the courier will collect the damaged one.",
                "wrong": "You'll need to pay for the return postage first and we'll refund it later.",
                "partial": "I've passed your photos to the warehouse team; they'll be in touch.",
                "no": "Damage in transit is the courier's responsibility, you'll need to contact them."},
    "refund": {"subject": ("Refund not received", "Where is my refund? {order}", "Refund for order {order}"),
               "problem": "I returned the {product} two weeks ago and still haven't had my refund for order {order}.",
               "impact": "you're out of pocket and waiting for your money",
               "fix": "The return was checked in yesterday; I've issued the refund now and it takes 3-5 working days to show.",
               "wrong": "Refunds are instant, so it must be a problem with your bank.",
               "partial": "I've asked the returns team to check it in; they should process it soon.",
               "no": "I can't see the return, so there's nothing I can refund."},
    "return": {"subject": ("How do I return my {product}?", "Return request {order}", "Returns label"),
               "problem": "I'd like to return the {product} from order {order}, it doesn't suit.",
               "impact": "it isn't what you hoped for",
               "fix": "I've emailed you a free returns label; drop it at any post office within 30 days.",
               "wrong": "Returns are only possible within 7 days, but I'll make an exception.",
               "partial": "You can start the return from your account page when it's back online.",
               "no": "You'll have to arrange the return yourself."},
    "wrong_item": {"subject": ("Wrong item received", "Wrong item in order {order}", "This isn't what I ordered"),
                   "problem": "I ordered the {product} but order {order} contained something else entirely.",
                   "impact": "you opened the parcel and it's not what you ordered",
                   "fix": "I've sent the right {product} by express, it'll arrive tomorrow, and booked a collection for the wrong one.",
                   "wrong": "The right item is out of stock for six weeks, so a refund is the only option.",
                   "partial": "I've logged it with the warehouse and they'll decide on a replacement.",
                   "no": "Our records say the right item was sent, so I can't do anything."},
    "address": {"subject": ("Change delivery address", "New address for order {order}", "Address change"),
                "problem": "Can I change the delivery address on order {order}? I've given my old one.",
                "impact": "you're worried it'll go to the wrong place",
                "fix": "Done - the courier has the new address and the delivery day stays the same.",
                "wrong": "I've changed it, it won't affect the delivery at all.",
                "partial": "I've asked the courier to update it; they'll confirm by text.",
                "no": "Once an order is placed the address can't be changed."},
    "payment": {"subject": ("Charged twice", "Double payment for order {order}", "Payment problem"),
                "problem": "I've been charged twice for order {order}, the {product}.",
                "impact": "money's been taken twice from your account",
                "fix": "The second payment was only a pre-authorisation; I've released it and it'll drop off in 2-3 days.",
                "wrong": "That's a bank error, we only ever take one payment.",
                "partial": "I've raised it with our payments team; they'll look into it.",
                "no": "You'll need to speak to your bank about that."},
    "promo": {"subject": ("Discount code not working", "Promo code problem", "Code SUMMER20 declined"),
              "problem": "My discount code SUMMER20 won't work on the {product}.",
              "impact": "the code you were counting on didn't work",
              "fix": "The code excludes sale items, but I've applied a 20% goodwill discount to your basket.",
              "wrong": "That code expired last month.",
              "partial": "I'll check with marketing whether the code should apply.",
              "no": "Sale items are excluded, so it can't be used."},
    "product": {"subject": ("Question about the {product}", "Is the {product} in stock?", "Product question"),
                "problem": "Before I order, can you tell me more about the {product}? Is it in stock?",
                "impact": "you want to get it right first time",
                "fix": "Yes, it's in stock in all sizes and delivery is 2-3 working days; the care guide is on the product page.",
                "wrong": "It's out of stock until next month.",
                "partial": "I'll ask the product team and get back to you.",
                "no": "All the information we have is on the website."},
    "cancel": {"subject": ("Cancel my order", "Please cancel order {order}", "Cancellation"),
               "problem": "Please cancel order {order}, I ordered the {product} by mistake.",
               "impact": "you ordered something by mistake",
               "fix": "I've cancelled it before dispatch; the refund is on its way and takes 3-5 working days.",
               "wrong": "I've cancelled it, you'll get the money back today.",
               "partial": "I've asked the warehouse to stop the parcel; they'll confirm.",
               "no": "It's already been picked, so you'll have to return it when it arrives."},
}
EXTRA_MILE = ("I've also sent you a discount code for your next order.",
              "I've also checked your other order - that one's on time.",
              "I've added a note so you won't have to explain this again if you call back.")
NEGATIVE = ("As I said, you should have checked the confirmation email.",
            "That's not really our fault, to be honest.",
            "I already explained that.")
SCRIPTED = ("We apologise for any inconvenience caused. Your satisfaction is important to us.",
            "Thank you for contacting us regarding this matter.",
            "We value you as a customer and appreciate your patience.")
PERSONAL = ("I can see you've shopped with us for a while - thanks for sticking with us.",
            "I see you got the matching one last month too - great choice.",
            "I remember you got in touch about your last order too, so let's get this one right.")


# ---------------------------------------------------------------- grader comments

_FAIL_COMMENTS = {  # grader's note on a failed answer, per question key
    "right_name": "Called the customer {wrong}; the name on the account is {right}.",
    "negative_tone": "Negative tone - see the highlighted line. Let's go through it in the 1:1.",
    "data_protection": "Shared account details before verifying the customer. Escalated to team lead.",
    "verification": "No verification before discussing the order.",
    "accuracy": "The information given does not match the order history.",
    "empathy": "No acknowledgement of how the customer felt.",
    "greeting": "Missing the brand greeting.",
    "closing": "No summary or 'anything else?' before ending the call.",
    "hold_etiquette": "Put the customer on hold without asking.",
    "wait_updates": "Long silence while checking - keep the customer updated.",
    "process": "Case not logged with the right reason code.",
}


def with_comments(case: Case, text: random.Random) -> dict[str, Answer]:
    """The case's answers, with a grader's note on some of the failed ones."""
    out = dict(case.answers)
    for key, template in _FAIL_COMMENTS.items():
        answer = out.get(key)
        if answer is not None and answer.value == NO and text.random() < 0.6:
            note = template.format(wrong=case.wrong_first, right=case.customer[0])
            out[key] = Answer(answer.value, answer.na, note)
    return out


def overall_comment(case: Case, text: random.Random) -> str:
    """A grader's overall comment on a submitted evaluation (often none)."""
    result = case.result
    if result.auto_failed:
        return "Auto-fail: " + result.auto_fail_reasons[0].split(" (")[0] + ". Discuss with the team lead."
    if text.random() < 0.35 or result.total is None:
        return ""
    weakest = min(result.skills, key=lambda s: result.skills[s]).lower()
    if result.total >= 92:
        return text.choice(("Excellent - a good example for the team.", "Really strong, nothing to coach.",
                            "Great work, especially the tone."))
    if result.total >= 75:
        return f"Good overall; small gaps in {weakest}."
    if result.total >= 55:
        return f"Some gaps - coach on {weakest}."
    return f"Below standard, mainly {weakest}. Discuss in the next 1:1."


# ---------------------------------------------------------------- subjects and transcripts

class CaseText:
    """Subject line and a short transcript that reflect the graded behaviour. `text` is the
    demo's seeded text source, `agent` the agent's full name."""

    def __init__(self, case: Case, text: random.Random, agent: str, brand: str, order: str, product: str):
        self.case, self.text, self.brand, self.order, self.product = case, text, brand, order, product
        self.topic = TOPIC_TEXT[case.topic]
        self.agent_first = agent.split()[0]
        first, last = case.customer
        self.email = f"{first.lower()}.{last.lower()}@example.com"
        a = {k: (None if v.na else v.value) for k, v in case.answers.items()}
        self.a = a
        self.name = None if case.answers["right_name"].na else case.wrong_first if a["right_name"] == NO else first
        tone = a["friendly_tone"]
        self.warm, self.curt = tone >= 4, tone <= 2
        auth = a["authenticity"]
        self.scripted = auth in (1, 2, NO)
        rapport = a["rapport"]
        self.rapport = "yes" if rapport in (YES, 4, 5) else "partial" if rapport in ("Partial", 3) else "no"

    def _fill(self, template: str) -> str:
        return template.format(order=self.order, product=self.product)

    def subject(self) -> str:
        return self._fill(self.text.choice(self.topic["subject"]))

    def _problem(self) -> str:
        occasion = self.case.occasion
        extra = f" {OCCASIONS[occasion][0]}" if occasion is not None else ""
        return self._fill(self.topic["problem"]) + extra

    def _empathy(self, use_name: bool = True) -> str:
        name = f", {self.name}" if self.name and use_name else ""
        value = self.a.get("empathy")
        parts = []
        if value == YES:
            parts.append(f"I'm so sorry{name}, I know how frustrating it is when {self.topic['impact']}.")
        elif value == "Partial":
            parts.append(f"Sorry about that{name}.")
        elif value == NO:
            parts.append("Right." if self.curt else "Okay.")
        if self.scripted:
            parts.append(self.text.choice(SCRIPTED))
        if self.rapport == "yes":
            occasion = self.case.occasion
            parts.append(OCCASIONS[occasion][1] if occasion is not None else self.text.choice(PERSONAL))
        elif self.rapport == "partial":
            parts.append("Hope your week's going well otherwise.")
        return " ".join(parts)

    def _fix(self) -> str:
        resolution, accurate = self.a["resolution"], self.a["accuracy"] in (YES, "Partial")
        parts = [] if accurate else [self.topic["wrong"]]
        if resolution == YES:
            if accurate:
                fix = self._fill(self.topic["fix"])
                parts.append("Good news - " + _lower_first(fix) if self.warm else fix)
        else:
            parts.append(self.topic["partial" if resolution == "Partial" else "no"])
        if self.a.get("extra_mile") == YES:
            parts.append(self.text.choice(EXTRA_MILE))
        return " ".join(parts)

    def _reaction(self) -> str:
        if self.a["negative_tone"] == NO:
            return "Okay. There's no need to take that tone, though."
        return {YES: "Brilliant, thank you so much.", "Partial": "Okay, I'll wait to hear then."}.get(
            self.a["resolution"], "That's really not good enough.")

    def transcript(self) -> str:
        lines = {"phone": self._phone, "email": self._email, "chat": self._chat}[self.case.channel]()
        return "\n".join(line for line in lines if line and not line.endswith(": "))

    def _negative(self) -> str:
        return f"Agent: {self.text.choice(NEGATIVE)}" if self.a["negative_tone"] == NO else ""

    def _phone(self) -> list[str]:
        a, first, last = self.a, *self.case.customer
        intro = f"Hi, it's {first} {last}." if self.name is not None else "Hi there."
        lines = [f"Agent: Thanks for calling {self.brand}, this is {self.agent_first}. How can I help"
                 f"{' today' if self.warm else ''}?" if a["greeting"] == YES else "Agent: Yeah, hello?",
                 f"Customer: {intro} {self._problem()}"]
        if a["verification"] == YES:
            lines += ["Agent: Can I just confirm your postcode and the email on the order first?",
                      f"Customer: Sure, it's LS6 {self.text.randint(1, 9)}AB and {self.email}."]
        if a["data_protection"] == NO:
            lines.append("[Agent reads out the full delivery address and the card number on file]")
        lines.append(f"Agent: {self._empathy()}")
        if a["hold_etiquette"] == YES:
            lines += ["Agent: Could I put you on hold for a minute while I check with the warehouse?",
                      "Customer: Sure."]
        elif a["hold_etiquette"] == NO:
            lines.append("[Caller put on hold for 3 minutes without warning]")
        lines += [f"Agent: {self._fix()}", self._negative(), f"Customer: {self._reaction()}"]
        bye = f", {self.name}" if self.name and self.warm else ""
        lines.append(f"Agent: Is there anything else I can help with? ... Thanks for calling {self.brand}, "
                     f"have a lovely day{bye}." if a["closing"] == YES else "Agent: Okay, bye.")
        return lines

    def _email(self) -> list[str]:
        a = self.a
        thanks = f"Thanks, {self.case.customer[0]}" if self.name is not None else "Thanks"
        if a["greeting"] == YES:
            hello = f"Hi {self.name}," if self.name else "Hello,"
            signoff = f"Best wishes, {self.agent_first} - {self.brand} Customer Care"
        else:
            hello, signoff = "Dear Sir/Madam,", "Regards"
        body = [self._empathy(use_name=False), self._fix()]
        if a["negative_tone"] == NO:
            body.append(self.text.choice(NEGATIVE))
        if a["writing"] <= 2:
            body.append("Any further querys just reply to this email.")
        if a["data_protection"] == NO:
            body.append(f"For reference the card on the account is 4929 {self.text.randint(1000, 9999)} "
                        f"{self.text.randint(1000, 9999)} 1234.")
        reply = _lower_first(" ".join(part for part in body if part))
        lines = [f"Customer: Hi, {_lower_first(self._problem())} {thanks}",
                 f"Agent: {hello} {reply} {signoff}"]
        lines.append(f"Customer: {self._reaction()}" if self.text.random() < 0.5 else "")
        return lines

    def _chat(self) -> list[str]:
        a = self.a
        lines = [f"Agent: Hi! I'm {self.agent_first} from {self.brand}. How can I help?"
                 if a["greeting"] == YES else "[First reply after 4 minutes] Agent: hello",
                 f"Customer: {self._problem()}", f"Agent: {self._empathy()}"]
        if a["data_protection"] == NO:
            lines.append(f"Agent: I can see it's going to 14 Mill Lane, and the card ending "
                         f"{self.text.randint(1000, 9999)} - is that you?")
        else:
            lines += ["Agent: Could you confirm your order number and email so I can check?",
                      f"Customer: {self.order}, {self.email}"]
        if a["wait_updates"] == YES:
            lines.append("Agent: Thanks! Give me two minutes while I check with the warehouse.")
        elif a["wait_updates"] == NO:
            lines.append("[No reply for 4 minutes]")
        lines += [f"Agent: {self._fix()}", self._negative(), f"Customer: {self._reaction()}"]
        if not self.curt:
            lines.append("Agent: Anything else I can help with today?")
        return lines


def _lower_first(sentence: str) -> str:
    """`sentence` to follow a comma or dash: first letter in lower case (but not "I")."""
    if not sentence or sentence.startswith(("I ", "I'")):
        return sentence
    return sentence[0].lower() + sentence[1:]
